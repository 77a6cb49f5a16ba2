#!/usr/bin/env python3
"""Conformance of keyhound's CAM/STS emulator with Tencent's official Python SDK.

Run by the Rust test `cam::sdk::official_sdk_conforms` (tests/cam/sdk.rs),
which starts the emulator and seeds it with invented identities:

    python conformance.py PORT WORLD_JSON

1. The official SDK (CamClient, StsClient) calls the emulator over
   http://127.0.0.1:PORT: the emulator must accept the SDK's signatures and
   the SDK must parse every answer, errors included (code and RequestId).
2. The SDK's own request builder signs a set of requests with a frozen
   timestamp; each is printed as one JSON line ("kind": "sign") so the Rust
   side can check that keyhound's signer produces the same Authorization.

Any expectation not met exits with status 1 and says which. Nothing here
leaves 127.0.0.1.
"""
import json
import os
import sys
import time

os.environ["NO_PROXY"] = "127.0.0.1"

import tencentcloud.common.abstract_client as ac  # noqa: E402
from tencentcloud.common import credential  # noqa: E402
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException  # noqa: E402
from tencentcloud.common.http.request import RequestInternal  # noqa: E402
from tencentcloud.common.profile.client_profile import ClientProfile  # noqa: E402
from tencentcloud.common.profile.http_profile import HttpProfile  # noqa: E402
from tencentcloud.cam.v20190116 import cam_client, models as cam_models  # noqa: E402
from tencentcloud.sts.v20180813 import sts_client, models as sts_models  # noqa: E402
from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, models as ca_models  # noqa: E402
from tencentcloud.csip.v20221121 import csip_client, models as csip_models  # noqa: E402

FAILURES = []
REAL_TIME = time.time


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def profile(port):
    return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint="127.0.0.1:%d" % port, reqTimeout=10))


def model(cls, **params):
    m = cls()
    m.from_json_string(json.dumps(params))
    return m


def call(name, fn, expect_code=None, check=None, clock_offset=0):
    """Runs one SDK call; expect_code None means success is expected."""
    ac.time.time = lambda: REAL_TIME() + clock_offset
    try:
        out = fn()
        got = json.loads(out.to_json_string())
        ok = expect_code is None and (check is None or check(got))
        emit({"kind": "call", "name": name, "ok": True, "code": None, "request_id": got.get("RequestId")})
        if not ok:
            FAILURES.append("%s: expected %s, got success %s" % (name, expect_code or "a check to pass", got))
    except TencentCloudSDKException as e:
        emit({"kind": "call", "name": name, "ok": False, "code": e.code, "request_id": e.requestId})
        if e.code != expect_code or not e.requestId:
            FAILURES.append("%s: expected %s, got %s (%s) RequestId %r" % (
                name, expect_code or "success", e.code, e.message, e.requestId))
    finally:
        ac.time.time = REAL_TIME


def sdk_calls(port, w):
    p = profile(port)

    def cam(pair):
        return cam_client.CamClient(credential.Credential(pair[0], pair[1]), "", p)

    def sts(pair):
        return sts_client.StsClient(credential.Credential(pair[0], pair[1]), "ap-guangzhou", p)

    owner, sub_uin = str(w["owner_uin"]), str(w["sub_uin"])
    call("GetUserAppId root", lambda: cam(w["root"]).GetUserAppId(model(cam_models.GetUserAppIdRequest)),
         check=lambda r: r["Uin"] == owner and r["OwnerUin"] == owner and r["AppId"] == w["app_id"])
    call("GetUserAppId sub-user", lambda: cam(w["sub"]).GetUserAppId(model(cam_models.GetUserAppIdRequest)),
         check=lambda r: r["Uin"] == sub_uin and r["OwnerUin"] == owner)
    call("GetCallerIdentity sub-user",
         lambda: sts(w["sub"]).GetCallerIdentity(model(sts_models.GetCallerIdentityRequest)),
         check=lambda r: r["AccountId"] == owner and r["PrincipalId"] == sub_uin)
    call("GetSecurityLastUsed", lambda: cam(w["root"]).GetSecurityLastUsed(
        model(cam_models.GetSecurityLastUsedRequest, SecretIdList=[w["sub"][0]])),
        check=lambda r: r["SecretIdLastUsedRows"][0]["LastUsedDate"] == w["sub_last_used"])
    call("ListUsers", lambda: cam(w["root"]).ListUsers(model(cam_models.ListUsersRequest)),
         check=lambda r: any(str(u["Uin"]) == sub_uin for u in r["Data"]))
    call("ListCollaborators", lambda: cam(w["root"]).ListCollaborators(model(cam_models.ListCollaboratorsRequest)),
         check=lambda r: r["TotalNum"] == 1)
    call("DescribeSubAccounts", lambda: cam(w["root"]).DescribeSubAccounts(
        model(cam_models.DescribeSubAccountsRequest, FilterSubAccountUin=[w["sub_uin"]])),
        check=lambda r: r["SubAccounts"][0]["UserType"] == 2)
    call("ListAccessKeys TargetUin=sub", lambda: cam(w["root"]).ListAccessKeys(
        model(cam_models.ListAccessKeysRequest, TargetUin=w["sub_uin"])),
        check=lambda r: [k["Status"] for k in r["AccessKeys"] if k["AccessKeyId"] == w["sub"][0]] == ["Active"])
    # error paths
    call("unknown SecretId", lambda: cam(w["unknown"]).GetUserAppId(model(cam_models.GetUserAppIdRequest)),
         expect_code="AuthFailure.SecretIdNotFound")
    call("wrong SecretKey", lambda: cam((w["root"][0], w["unknown"][1])).GetUserAppId(
        model(cam_models.GetUserAppIdRequest)), expect_code="AuthFailure.SignatureFailure")
    call("clock skew", lambda: cam(w["root"]).GetUserAppId(model(cam_models.GetUserAppIdRequest)),
         expect_code="AuthFailure.SignatureExpire", clock_offset=1000)
    call("sub-user without CAM rights", lambda: cam(w["sub"]).ListUsers(model(cam_models.ListUsersRequest)),
         expect_code="AuthFailure.UnauthorizedOperation")
    call("sub-user on root keys", lambda: cam(w["admin"]).ListAccessKeys(
        model(cam_models.ListAccessKeysRequest, TargetUin=w["owner_uin"])), expect_code="OperationDenied.SubUin")
    call("another account's uin", lambda: cam(w["root"]).ListAccessKeys(
        model(cam_models.ListAccessKeysRequest, TargetUin=w["foreign_uin"])), expect_code="OperationDenied.UinNotMatch")
    call("throttled", lambda: cam(w["root"]).GetAccountSummary(model(cam_models.GetAccountSummaryRequest)),
         expect_code="RequestLimitExceeded")
    # disable and re-enable a key
    call("UpdateAccessKey Inactive", lambda: cam(w["root"]).UpdateAccessKey(model(
        cam_models.UpdateAccessKeyRequest, AccessKeyId=w["sub"][0], Status="Inactive", TargetUin=w["sub_uin"])))
    call("disabled key", lambda: cam(w["sub"]).GetUserAppId(model(cam_models.GetUserAppIdRequest)),
         expect_code="AuthFailure.SecretIdNotFound")
    call("UpdateAccessKey Active", lambda: cam(w["root"]).UpdateAccessKey(model(
        cam_models.UpdateAccessKeyRequest, AccessKeyId=w["sub"][0], Status="Active", TargetUin=w["sub_uin"])))
    call("re-enabled key", lambda: cam(w["sub"]).GetUserAppId(model(cam_models.GetUserAppIdRequest)))
    # the incident picture's reads
    call("QueryApiKey TargetUin=sub", lambda: sts(w["root"]).QueryApiKey(
        model(sts_models.QueryApiKeyRequest, TargetUin=w["sub_uin"])),
        check=lambda r: [k["Status"] for k in r["IdKeys"] if k["SecretId"] == w["sub"][0]] == [2])
    call("GetUserPermissionBoundary sub", lambda: cam(w["root"]).GetUserPermissionBoundary(
        model(cam_models.GetUserPermissionBoundaryRequest, TargetUin=w["sub_uin"])),
        check=lambda r: r.get("PolicyId") is None)

    def audit(pair):
        return cloudaudit_client.CloudauditClient(credential.Credential(pair[0], pair[1]), "ap-guangzhou", p)

    now = int(REAL_TIME())
    by_sub = [{"AttributeKey": "AccessKeyId", "AttributeValue": w["sub"][0]}]
    call("DescribeEvents AccessKeyId=sub", lambda: audit(w["root"]).DescribeEvents(model(
        ca_models.DescribeEventsRequest, StartTime=now - 86400, EndTime=now + 60, MaxResults=50,
        LookupAttributes=by_sub)),
        check=lambda r: r["ListOver"] and {e["EventName"] for e in r["Events"]} >= {"GetUserAppId"}
        and all(e["SecretId"] == w["sub"][0] and e["SourceIPAddress"] == "127.0.0.1" for e in r["Events"]))
    call("DescribeEvents span of 30 days", lambda: audit(w["root"]).DescribeEvents(model(
        ca_models.DescribeEventsRequest, StartTime=now - 30 * 86400, EndTime=now, LookupAttributes=by_sub)),
        expect_code="LimitExceeded.OverTime")
    call("DescribeEvents MaxResults 51", lambda: audit(w["root"]).DescribeEvents(model(
        ca_models.DescribeEventsRequest, StartTime=now - 60, EndTime=now, MaxResults=51)),
        expect_code="InvalidParameterValue.MaxResult")

    def documented_shape(r):
        # Tencent's documented event: userAgent empty, the caller's
        # RequestClient inside requestParameters (a JSON string).
        raw = [json.loads(e["CloudAuditEvent"]) for e in r["Events"]]
        return raw and all(x["userAgent"] == "" and json.loads(x["requestParameters"])["RequestClient"]
                           for x in raw)
    call("DescribeEvents documented event shape", lambda: audit(w["root"]).DescribeEvents(model(
        ca_models.DescribeEventsRequest, StartTime=now - 86400, EndTime=now + 60, LookupAttributes=by_sub)),
        check=documented_shape)

    def csip(pair):
        return csip_client.CsipClient(credential.Credential(pair[0], pair[1]), "ap-guangzhou", p)

    call("DescribeAccessKeyAlarm", lambda: csip(w["root"]).DescribeAccessKeyAlarm(model(
        csip_models.DescribeAccessKeyAlarmRequest, Filter={"Limit": 10, "Offset": 0})),
        check=lambda r: r["Total"] == 1 and r["Data"][0]["AccessKey"] == w["sub"][0]
        and r["Data"][0]["AlarmType"] == 1 and r["Data"][0]["LeakEvidence"]
        and r["Data"][0]["FirstAlarmTimestamp"] > 0)


def sdk_signatures(port, w, ts):
    """The SDK's request builder (the code run before every real call) with
    a frozen clock; printed for keyhound's signer to reproduce."""
    cred = credential.Credential(w["root"][0], w["root"][1])
    hosts = [("127.0.0.1:%d" % port, profile(port)),
             ("cam.tencentcloudapi.com", ClientProfile(httpProfile=HttpProfile()))]
    requests = [
        ("cam", "GetUserAppId", {}),
        ("cam", "GetSecurityLastUsed", {"SecretIdList": [w["sub"][0], w["root"][0]]}),
        ("cam", "UpdateAccessKey", {"AccessKeyId": w["sub"][0], "Status": "Inactive", "TargetUin": w["sub_uin"]}),
        ("sts", "GetCallerIdentity", {}),
    ]
    for host, prof in hosts:
        for service, action, params in requests:
            if service == "cam":
                client = cam_client.CamClient(cred, "", prof)
            else:
                client = sts_client.StsClient(cred, "ap-guangzhou", prof)
            ac.time.time = lambda: ts
            try:
                req = RequestInternal(client._get_endpoint(), client.profile.httpProfile.reqMethod,
                                      client._requestPath, header={})
                client._build_req_inter(action, params, req)
            finally:
                ac.time.time = REAL_TIME
            body = req.data if isinstance(req.data, str) else req.data.decode("utf-8")
            emit({"kind": "sign", "service": service, "action": action, "host": req.header["Host"],
                  "timestamp": int(req.header["X-TC-Timestamp"]), "content_type": req.header["Content-Type"],
                  "body": body, "authorization": req.header["Authorization"]})


def main():
    port = int(sys.argv[1])
    world = json.loads(sys.argv[2])
    sdk_calls(port, world)
    sdk_signatures(port, world, 1_700_000_000)
    for f in FAILURES:
        print("FAIL: " + f, file=sys.stderr)
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
