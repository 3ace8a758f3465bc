"""Readiness against the real S3 server: ready while the bucket answers, 503 when the bucket is gone."""


def test_readyz_on_s3(s3_app, s3_bucket):
    client = s3_app.test_client()
    assert client.get("/readyz").status_code == 200
    s3, name = s3_bucket
    s3.delete_bucket(Bucket=name)  # the store no longer answers for its bucket
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json["checks"]["object_store"] == "failed"
