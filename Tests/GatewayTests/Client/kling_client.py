"""A Kling API client written from Kling's public documentation, not from KlingLedger's code.

Authentication (Kling "API authorization"): a JWT with header {"alg": "HS256", "typ": "JWT"},
claims iss = access key, exp = now + 1800, nbf = now - 5, signed with the secret key and sent
as "Authorization: Bearer <token>". Endpoints (Kling "Video generation"): POST
/v1/videos/{text2video,image2video,video-extend}, GET /v1/videos/{kind}/{task_id}, GET
/v1/videos/{kind}?pageNum=&pageSize=. Every answer is {code, message, request_id, data}; code 0
is success; task_status is submitted | processing | succeed | failed; final_unit_deduction and
a video's duration are strings; times are milliseconds.

It runs the same calls against the gateway and straight against the provider (here, the
sandbox), and checks that a client sees the same shapes through both. It prints a JSON summary
of what it created through the gateway, and exits 1 on the first difference.

Environment: GATEWAY_URL, GATEWAY_ACCESS_KEY, GATEWAY_SECRET_KEY (a key pair issued by the
gateway), PROVIDER_URL, PROVIDER_ACCESS_KEY, PROVIDER_SECRET_KEY.
"""

import json
import os
import sys
import time

import httpx
import jwt


class KlingClient:
    def __init__(self, base_url, access_key, secret_key):
        self.access_key = access_key
        self.secret_key = secret_key
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def _token(self):
        now = int(time.time())
        claims = {"iss": self.access_key, "exp": now + 1800, "nbf": now - 5}
        return jwt.encode(claims, self.secret_key, algorithm="HS256", headers={"alg": "HS256", "typ": "JWT"})

    def _call(self, method, path, **kwargs):
        headers = {"Authorization": "Bearer " + self._token(), "Content-Type": "application/json"}
        response = self.http.request(method, path, headers=headers, **kwargs)
        body = response.json()
        if response.status_code != 200 or body.get("code") != 0:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code}, code {body.get('code')}: {body.get('message')}")
        return body

    def create(self, kind, params):
        return self._call("POST", f"/v1/videos/{kind}", json=params)

    def query(self, kind, task_id):
        return self._call("GET", f"/v1/videos/{kind}/{task_id}")

    def list(self, kind, page=1, size=30):
        return self._call("GET", f"/v1/videos/{kind}", params={"pageNum": page, "pageSize": size})

    def wait(self, kind, task_id, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            answer = self.query(kind, task_id)
            if answer["data"]["task_status"] in ("succeed", "failed"):
                return answer
            time.sleep(0.3)
        raise RuntimeError(f"task {task_id} did not finish in {timeout} s")


def shape(value):
    """The shape of a JSON value: key sets and value types, not values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def same_shape(label, through_gateway, direct):
    if shape(through_gateway) != shape(direct):
        print(f"{label}: the gateway's shape differs from the provider's", file=sys.stderr)
        print(" gateway: " + json.dumps(shape(through_gateway), sort_keys=True), file=sys.stderr)
        print(" provider: " + json.dumps(shape(direct), sort_keys=True), file=sys.stderr)
        sys.exit(1)


def run(client):
    """text2video, image2video from a URL, and an extension of the first video."""
    created = {}
    text = client.create("text2video", {
        "model_name": "kling-v1-6", "mode": "std", "duration": "5", "prompt": "a lighthouse in a storm",
        "aspect_ratio": "16:9", "external_task_id": "client-" + str(time.time_ns()),
    })
    created["text2video"] = (text, client.wait("text2video", text["data"]["task_id"]))
    image = client.create("image2video", {
        "model_name": "kling-v1", "mode": "std", "duration": "5", "image": "https://example.invalid/first-frame.png",
        "prompt": "the waves rise",
    })
    created["image2video"] = (image, client.wait("image2video", image["data"]["task_id"]))
    video_id = created["text2video"][1]["data"]["task_result"]["videos"][0]["id"]
    extend = client.create("video-extend", {"video_id": video_id, "prompt": "the storm passes"})
    created["video-extend"] = (extend, client.wait("video-extend", extend["data"]["task_id"]))
    return created


def main():
    gateway = KlingClient(os.environ["GATEWAY_URL"], os.environ["GATEWAY_ACCESS_KEY"], os.environ["GATEWAY_SECRET_KEY"])
    provider = KlingClient(os.environ["PROVIDER_URL"], os.environ["PROVIDER_ACCESS_KEY"], os.environ["PROVIDER_SECRET_KEY"])
    through_gateway = run(gateway)
    direct = run(provider)
    for kind in through_gateway:
        (gateway_create, gateway_final), (direct_create, direct_final) = through_gateway[kind], direct[kind]
        same_shape(f"{kind} create", gateway_create, direct_create)
        same_shape(f"{kind} final query", gateway_final, direct_final)
        final = gateway_final["data"]
        assert final["task_status"] == "succeed", final
        assert isinstance(final["final_unit_deduction"], str), final
        assert isinstance(final["task_result"]["videos"][0]["duration"], str), final
    listed = gateway.list("text2video")
    ids = [task["task_id"] for task in listed["data"]]
    assert ids == [through_gateway["text2video"][0]["data"]["task_id"]], ids
    same_shape("list envelope", {k: v for k, v in listed.items() if k != "data"}, {k: v for k, v in provider.list("text2video").items() if k != "data"})
    print(json.dumps({kind: {"task_id": final["data"]["task_id"], "units": final["data"]["final_unit_deduction"]}
                      for kind, (_, final) in through_gateway.items()}))


if __name__ == "__main__":
    main()
