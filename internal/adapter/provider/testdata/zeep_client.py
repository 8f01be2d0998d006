"""Call a Tunduk provider the way a generated client does: python3-zeep in
strict mode, loading the provider's generated WSDL, through the emulated
security server. Prints the answer as JSON with each leaf's Python type, so
the Go test can check that zeep read typed values.

usage: zeep_client.py WSDL SCHEMAS_DIR ADDRESS OPERATION CLIENT_ID SERVICE_ID INPUT_JSON
"""
import datetime
import decimal
import json
import os
import sys
import uuid

import zeep
from zeep.helpers import serialize_object
from zeep.transports import Transport

wsdl, schemas, address, operation, client_id, service_id, inputs = sys.argv[1:8]


class OfflineTransport(Transport):
    """Serves the X-Road and W3C schemas the WSDL imports from the local
    conformance corpus: no network."""

    def load(self, url):
        if url.startswith("http://") or url.startswith("https://"):
            name = url.rsplit("/", 1)[-1]
            path = os.path.join(schemas, name)
            if not os.path.exists(path):
                raise IOError("offline: no local copy of " + url)
            with open(path, "rb") as f:
                return f.read()
        return super().load(url)


settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=False)
client = zeep.Client(wsdl, transport=OfflineTransport(), settings=settings)
binding = list(client.wsdl.bindings.keys())[0]
svc = client.create_service(binding, address)


def ident(elem, s, object_type):
    parts = s.split("/")
    keys = ["xRoadInstance", "memberClass", "memberCode", "subsystemCode"]
    if object_type == "SERVICE":
        keys = ["xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode", "serviceVersion"]
    return client.get_element(elem)(objectType=object_type, **dict(zip(keys, parts)))


headers = {
    "client": ident("{http://x-road.eu/xsd/xroad.xsd}client", client_id, "SUBSYSTEM"),
    "service": ident("{http://x-road.eu/xsd/xroad.xsd}service", service_id, "SERVICE"),
    "id": str(uuid.uuid4()),
    "userId": "KG22201197000311",
    "issue": "tender-2026-117/lot-3",
    "protocolVersion": "4.0",
}

result = getattr(svc, operation)(_soapheaders=headers, **json.loads(inputs))


def typed(v):
    if isinstance(v, dict):
        return {k: typed(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [typed(x) for x in v]
    if isinstance(v, bool):
        t = "bool"
    elif isinstance(v, int):
        t = "int"
    elif isinstance(v, decimal.Decimal):
        t = "Decimal"
    elif isinstance(v, datetime.datetime):
        t = "datetime"
    elif isinstance(v, datetime.date):
        t = "date"
    else:
        t = type(v).__name__
    return {"type": t, "value": str(v)}


out = serialize_object(result, dict)
if isinstance(out, dict) and "body" in out and "header" in out:
    out = out["body"]
print(json.dumps(typed(out)))
