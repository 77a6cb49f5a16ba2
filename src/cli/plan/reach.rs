//! How a command reaches the providers, and as whom: Tencent Cloud's
//! endpoints (site or custom), the other providers' endpoints, and the
//! auditor's credentials, found the way Tencent's SDKs and tccli find them.

use super::super::args::{ProviderArgs, TencentArgs};
use crate::rule::VerifyWith;
use crate::verify::http;
use crate::verify::registry::Endpoints as ProviderEndpoints;
use crate::verify::tencent::credential::{self, Found};
use crate::verify::tencent::{Endpoints, Site};
use anyhow::Context;

pub(super) fn endpoints(t: &TencentArgs) -> anyhow::Result<Endpoints> {
    Ok(match &t.endpoint {
        Some(url) => match &t.other_site_endpoint {
            Some(other) => Endpoints::custom(url)?.with_other_site(other)?,
            None => Endpoints::custom(url)?,
        },
        None if t.intl => Endpoints::site(Site::International),
        None => Endpoints::site(Site::China),
    })
}

pub(super) fn provider_endpoints(a: &ProviderArgs) -> anyhow::Result<ProviderEndpoints> {
    let mut e = ProviderEndpoints::resolve(&a.provider_endpoint)?;
    if let Some(url) = &a.cdnetworks_endpoint {
        e.set(VerifyWith::Cdnetworks, http::Endpoint::custom(url)?);
    }
    Ok(e)
}

/// The auditor's credentials when auditor mode is on (or `required`):
/// `Ok(None)` when it is off. Found the way Tencent's SDKs and tccli find
/// them ([`credential`]); a role they name is assumed when the command runs.
pub(super) fn auditor_credential(t: &TencentArgs, required: bool) -> anyhow::Result<Option<Found>> {
    if !(required || t.audit || t.profile.is_some()) {
        return Ok(None);
    }
    let places = credential::Places::system();
    let Some(found) = credential::load(t.profile.as_deref(), &places, |k| std::env::var(k).ok())?
    else {
        anyhow::bail!(
            "auditor credentials needed: set {} and {}, pass --profile NAME, or configure \
             tccli's default profile or ~/.tencentcloud/credentials",
            credential::ENV_SECRET_ID,
            credential::ENV_SECRET_KEY
        );
    };
    Ok(Some(found))
}

pub(super) fn required_credential(t: &TencentArgs) -> anyhow::Result<Found> {
    auditor_credential(t, true)?.context("auditor credentials needed")
}
