"""The official Python SDKs of Volcengine (volcengine), Huawei Cloud
(huaweicloudsdkcore, huaweicloudsdkiam) and Baidu AI Cloud (bce-python-sdk)
against keyhound's emulators: each identity read must be accepted (the
emulator checks the SDK's signature) and its answer parse into the SDK's
models; a wrong secret must be refused with the documented error.

usage: clouds_conformance.py WORLD_JSON; prints one JSON line per call.
"""
import json
import sys

world = json.loads(sys.argv[1])


def emit(name, **fields):
    print(json.dumps(dict(kind="call", name=name, **fields)), flush=True)


def volcengine(url, pair, token=""):
    from volcengine.ApiInfo import ApiInfo
    from volcengine.Credentials import Credentials
    from volcengine.ServiceInfo import ServiceInfo
    from volcengine.base.Service import Service

    info = ServiceInfo(url.split("//")[1].rstrip("/"), {"Accept": "application/json"},
                       Credentials(pair[0], pair[1], "sts", "cn-north-1", token), 5, 5, "http")
    api = {"GetCallerIdentity": ApiInfo("GET", "/", {"Action": "GetCallerIdentity",
                                                     "Version": "2018-01-01"}, {}, {})}
    return json.loads(Service(info, api).get("GetCallerIdentity", {}))


v = world["volcengine"]
r = volcengine(v["url"], v["live"])["Result"]
emit("volcengine GetCallerIdentity", account=str(r["AccountId"]), type=r["IdentityType"], trn=r["Trn"])
r = volcengine(v["url"], v["sts"][:2], v["sts"][2])["Result"]
emit("volcengine GetCallerIdentity(sts)", type=r["IdentityType"])
try:
    volcengine(v["url"], [v["live"][0], "x" * 60])
    emit("volcengine GetCallerIdentity(wrong secret)", code="accepted")
except Exception as e:  # the SDK raises the body as the message
    body = json.loads(str(e.args[0]) if e.args else "{}")
    emit("volcengine GetCallerIdentity(wrong secret)",
         code=body["ResponseMetadata"]["Error"]["Code"])

from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkiam.v3 import IamClient, KeystoneListAuthDomainsRequest

h = world["huawei"]


def iam(pair):
    return IamClient.new_builder() \
        .with_credentials(GlobalCredentials(pair[0], pair[1], "d78cbac186b744899480f25bd022f468")) \
        .with_endpoint(h["url"].rstrip("/")).build()


d = iam(h["live"]).keystone_list_auth_domains(KeystoneListAuthDomainsRequest()).domains[0]
emit("huawei KeystoneListAuthDomains", id=d.id, account_name=d.name)
try:
    iam([h["live"][0], "x" * 40]).keystone_list_auth_domains(KeystoneListAuthDomainsRequest())
    emit("huawei KeystoneListAuthDomains(wrong secret)", code="accepted")
except Exception as e:
    emit("huawei KeystoneListAuthDomains(wrong secret)", code=getattr(e, "error_code", None),
         message=getattr(e, "error_msg", None))

from baidubce.auth.bce_credentials import BceCredentials
from baidubce.bce_client_configuration import BceClientConfiguration
from baidubce.services.bos.bos_client import BosClient

b = world["baidu"]


def bos(pair):
    return BosClient(BceClientConfiguration(credentials=BceCredentials(pair[0], pair[1]),
                                            endpoint=b["url"].rstrip("/")))


r = bos(b["live"]).list_buckets()
emit("baidu ListBuckets", owner=r.owner.id, account_name=r.owner.display_name,
     buckets=[x.name for x in r.buckets])
try:
    bos([b["live"][0], "0" * 32]).list_buckets()
    emit("baidu ListBuckets(wrong secret)", code="accepted")
except Exception as e:
    emit("baidu ListBuckets(wrong secret)", code=getattr(getattr(e, "last_error", e), "code", None))
