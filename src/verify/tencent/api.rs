//! The Tencent Cloud API actions keyhound calls: their names, the service
//! each belongs to, their documented rate limits, and which of them change
//! state.

use std::fmt;

/// A Tencent Cloud product this client talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// Cloud Access Management, API version 2019-01-16.
    Cam,
    /// Security Token Service, API version 2018-08-13.
    Sts,
    /// CloudAudit (the account's API call log), API version 2019-03-19.
    CloudAudit,
    /// Cloud Security Center (Tencent's own AccessKey leak and abnormal-call
    /// alarms), API version 2022-11-21.
    Csip,
}

impl Service {
    /// The name used in hosts and signature scopes.
    pub fn name(self) -> &'static str {
        match self {
            Service::Cam => "cam",
            Service::Sts => "sts",
            Service::CloudAudit => "cloudaudit",
            Service::Csip => "csip",
        }
    }

    /// The API version sent in `X-TC-Version`.
    pub fn version(self) -> &'static str {
        match self {
            Service::Cam => "2019-01-16",
            Service::Sts => "2018-08-13",
            Service::CloudAudit => "2019-03-19",
            Service::Csip => "2022-11-21",
        }
    }
}

/// One API action. Its name is what `X-TC-Action` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// CAM: the caller's AppId, UIN and owner UIN.
    GetUserAppId,
    /// CAM: the sub-users of the account.
    ListUsers,
    /// CAM: one sub-user.
    GetUser,
    /// CAM: the collaborators of the account.
    ListCollaborators,
    /// CAM: every identity but the owner (`ListUsers` and collaborators).
    ListAccounts,
    /// CAM: the access keys of one UIN.
    ListAccessKeys,
    /// CAM: when keys were last used.
    GetSecurityLastUsed,
    /// CAM: a sub-user's MFA and login protection settings.
    DescribeSafeAuthFlagColl,
    /// CAM: the caller's own MFA and login protection settings.
    DescribeSafeAuthFlag,
    /// CAM: policies attached to a user directly.
    ListAttachedUserPolicies,
    /// CAM: the groups a user is in.
    ListGroupsForUser,
    /// CAM: policies attached to a group.
    ListAttachedGroupPolicies,
    /// CAM: every policy that applies to a user.
    ListAttachedUserAllPolicies,
    /// CAM: one policy's document.
    GetPolicy,
    /// CAM: a user's permission boundary.
    GetUserPermissionBoundary,
    /// CAM: sets a key `Active` or `Inactive`.
    UpdateAccessKey,
    /// CAM: deletes a key. keyhound never calls it; it is named so that
    /// the retry and rate rules cover it.
    DeleteAccessKey,
    /// CAM: creates a key. keyhound never calls it; it is named so that
    /// the retry and rate rules cover it.
    CreateAccessKey,
    /// STS: who the caller is.
    GetCallerIdentity,
    /// STS: temporary credentials of a role.
    AssumeRole,
    /// STS: a user's keys, disabled and deleted ones included.
    QueryApiKey,
    /// CloudAudit: the logged calls matching a filter.
    DescribeEvents,
    /// Cloud Security Center: Tencent's AccessKey alarms for the account.
    DescribeAccessKeyAlarm,
}

/// The actions that change state: never retried after an answer that may
/// mean they were applied, and held to the lower documented rate.
pub const STATE_CHANGING: &[Action] = &[
    Action::UpdateAccessKey,
    Action::DeleteAccessKey,
    Action::CreateAccessKey,
];

impl Action {
    /// The action's name, as sent in `X-TC-Action`.
    pub fn name(self) -> &'static str {
        match self {
            Action::GetUserAppId => "GetUserAppId",
            Action::ListUsers => "ListUsers",
            Action::GetUser => "GetUser",
            Action::ListCollaborators => "ListCollaborators",
            Action::ListAccounts => "ListAccounts",
            Action::ListAccessKeys => "ListAccessKeys",
            Action::GetSecurityLastUsed => "GetSecurityLastUsed",
            Action::DescribeSafeAuthFlagColl => "DescribeSafeAuthFlagColl",
            Action::DescribeSafeAuthFlag => "DescribeSafeAuthFlag",
            Action::ListAttachedUserPolicies => "ListAttachedUserPolicies",
            Action::ListGroupsForUser => "ListGroupsForUser",
            Action::ListAttachedGroupPolicies => "ListAttachedGroupPolicies",
            Action::ListAttachedUserAllPolicies => "ListAttachedUserAllPolicies",
            Action::GetPolicy => "GetPolicy",
            Action::GetUserPermissionBoundary => "GetUserPermissionBoundary",
            Action::UpdateAccessKey => "UpdateAccessKey",
            Action::DeleteAccessKey => "DeleteAccessKey",
            Action::CreateAccessKey => "CreateAccessKey",
            Action::GetCallerIdentity => "GetCallerIdentity",
            Action::AssumeRole => "AssumeRole",
            Action::QueryApiKey => "QueryApiKey",
            Action::DescribeEvents => "DescribeEvents",
            Action::DescribeAccessKeyAlarm => "DescribeAccessKeyAlarm",
        }
    }

    /// The service the action belongs to.
    pub fn service(self) -> Service {
        match self {
            Action::GetCallerIdentity | Action::AssumeRole | Action::QueryApiKey => Service::Sts,
            Action::DescribeEvents => Service::CloudAudit,
            Action::DescribeAccessKeyAlarm => Service::Csip,
            _ => Service::Cam,
        }
    }

    /// Whether the action changes state (see [`STATE_CHANGING`]).
    pub fn is_state_changing(self) -> bool {
        STATE_CHANGING.contains(&self)
    }

    /// Documented calls per second (tencent-api.md 3.5); 20 where the
    /// documentation gives none.
    pub fn rate_limit(self) -> u32 {
        match self {
            _ if self.is_state_changing() => 5,
            Action::ListAttachedUserAllPolicies => 5,
            _ => 20,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_services_follow_the_documentation() {
        assert_eq!(Action::UpdateAccessKey.rate_limit(), 5);
        assert_eq!(Action::GetUserAppId.rate_limit(), 20);
        assert_eq!(Action::ListAttachedUserAllPolicies.rate_limit(), 5);
        assert_eq!(Action::GetCallerIdentity.rate_limit(), 20);
        assert!(Action::UpdateAccessKey.is_state_changing());
        assert!(!Action::ListAccessKeys.is_state_changing());
        assert_eq!(Action::AssumeRole.service(), Service::Sts);
        assert_eq!(Action::ListAccessKeys.service(), Service::Cam);
        assert_eq!(Action::QueryApiKey.service(), Service::Sts);
        assert_eq!(Action::DescribeEvents.service(), Service::CloudAudit);
        assert_eq!(Service::CloudAudit.version(), "2019-03-19");
        assert_eq!(Action::UpdateAccessKey.to_string(), "UpdateAccessKey");
    }
}
