"""Alibaba Cloud's official Python SDK (alibabacloud_sts20150401,
alibabacloud_ram20150501 on alibabacloud_tea_openapi) against keyhound's
STS/RAM emulator: every call must be accepted (signatures checked by the
emulator) or refused with the documented error code, and every answer must
parse into the SDK's models. Both signatures the SDK can send are used: the
V3 signature (ACS3-HMAC-SHA256, its default) and the RPC signature 1.0
(signature_algorithm="v2", HMAC-SHA1 over the query).

usage: alibaba_conformance.py PORT WORLD_JSON; prints one JSON line per call.
"""
import json
import sys

from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi import models as open_api_models

port, world = sys.argv[1], json.loads(sys.argv[2])


def config(pair, token=None, algorithm=None):
    c = open_api_models.Config(
        access_key_id=pair[0],
        access_key_secret=pair[1],
        security_token=token,
        endpoint="127.0.0.1:" + port,
        protocol="http",
    )
    if algorithm:
        c.signature_algorithm = algorithm
    return c


def emit(name, signature, **fields):
    print(json.dumps(dict(kind="call", name=name, signature=signature, **fields)), flush=True)


def refused(name, signature, call):
    try:
        call()
    except Exception as e:  # the SDK raises its own error types
        emit(name, signature, code=getattr(e, "code", None))
        return
    emit(name, signature, code="accepted")


for algorithm, signature in ((None, "v3"), ("v2", "v1")):
    admin = config(world["admin"], algorithm=algorithm)
    who = StsClient(admin).get_caller_identity().body
    emit("GetCallerIdentity", signature, account=who.account_id, type=who.identity_type, arn=who.arn)
    sts = StsClient(config(world["sts"][:2], token=world["sts"][2], algorithm=algorithm))
    who = sts.get_caller_identity().body
    emit("GetCallerIdentity(sts)", signature, account=who.account_id, type=who.identity_type)
    refused("GetCallerIdentity(unknown)", signature,
            lambda: StsClient(config(world["unknown"], algorithm=algorithm)).get_caller_identity())
    refused("GetCallerIdentity(wrong secret)", signature,
            lambda: StsClient(config([world["leaked"][0], "x" * 30], algorithm=algorithm)).get_caller_identity())

    ram = RamClient(admin)
    users = ram.list_users(ram_models.ListUsersRequest(max_items=1)).body
    names = [u.user_name for u in users.users.user]
    while users.is_truncated:
        users = ram.list_users(ram_models.ListUsersRequest(max_items=1, marker=users.marker)).body
        names += [u.user_name for u in users.users.user]
    emit("ListUsers", signature, users=sorted(names))
    keys = ram.list_access_keys(ram_models.ListAccessKeysRequest(user_name="deploy")).body
    emit("ListAccessKeys", signature,
         keys=[[k.access_key_id, k.status] for k in keys.access_keys.access_key])
    used = ram.get_access_key_last_used(ram_models.GetAccessKeyLastUsedRequest(
        user_access_key_id=world["leaked"][0], user_name="deploy")).body
    emit("GetAccessKeyLastUsed", signature, last_used=used.access_key_last_used.last_used_date)
    for status in ("Inactive", "Active"):
        r = ram.update_access_key(ram_models.UpdateAccessKeyRequest(
            user_access_key_id=world["leaked"][0], user_name="deploy", status=status)).body
        emit("UpdateAccessKey", signature, status=status, request_id=bool(r.request_id))
    refused("ListUsers(no permission)", signature,
            lambda: RamClient(config(world["leaked"], algorithm=algorithm)).list_users(
                ram_models.ListUsersRequest()))
