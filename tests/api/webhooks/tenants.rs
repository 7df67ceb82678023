//! Webhooks and tenants: a delivery reaches only the jobs of the workspace whose secret signed
//! it, and nobody learns from the answers which jobs, credentials or secrets exist elsewhere.

use super::{deliver_to, event, other_workspace, post_to, setup, OTHER_SECRET, SECRET, SHARED};

const IGNORED: (u16, &str) = (200, r#"{"status":"ignored"}"#);

#[tokio::test]
async fn another_workspaces_job_and_an_unknown_job_get_identical_answers_on_both_urls() {
    let setup = setup().await;
    let other_path = other_workspace(&setup, "other", Some(OTHER_SECRET)).await;
    setup.fixture.emulator.advance(3_600);
    let before = setup.statuses().await;
    let theirs = event(&setup.provider_job_id);
    let unknown = event("ftjob-nobody-has-this");
    for path in [other_path.as_str(), SHARED] {
        let about_theirs = deliver_to(&setup.base, path, OTHER_SECRET, "msg_b1", &theirs).await;
        let about_unknown = deliver_to(&setup.base, path, OTHER_SECRET, "msg_b2", &unknown).await;
        assert_eq!(about_theirs, about_unknown, "{path}");
    }
    // On the credential's URL a verified delivery is answered, and changes nothing.
    let answer = deliver_to(&setup.base, &other_path, OTHER_SECRET, "msg_b3", &theirs).await;
    assert_eq!((answer.0, answer.2.as_str()), IGNORED);
    assert_eq!(
        setup.statuses().await,
        before,
        "workspace A's job is untouched"
    );
    assert_eq!(setup.job_lookups(), 0, "the provider was not asked");
}

#[tokio::test]
async fn the_shared_url_answers_a_job_signed_by_another_secret_like_an_unknown_job() {
    let setup = setup().await;
    let theirs = event(&setup.provider_job_id);
    let unknown = event("ftjob-nobody-has-this");
    // Even the job's own workspace's secret cannot make an unknown job look different.
    let wrong = deliver_to(&setup.base, SHARED, OTHER_SECRET, "msg_s1", &theirs).await;
    let missing = deliver_to(&setup.base, SHARED, SECRET, "msg_s2", &unknown).await;
    assert_eq!(wrong, missing);
    assert_eq!(wrong.0, 401, "{}", wrong.2);
}

#[tokio::test]
async fn the_credential_url_refreshes_its_job_on_a_valid_delivery() {
    let setup = setup().await;
    setup.fixture.emulator.advance(3_600);
    assert_ne!(setup.statuses().await.0, "SUCCEEDED", "not refreshed yet");
    let body = event(&setup.provider_job_id);
    let (status, _, reply) = deliver_to(&setup.base, &setup.path, SECRET, "msg_c1", &body).await;
    assert_eq!((status, reply.as_str()), (200, r#"{"status":"processed"}"#));
    assert_eq!(
        setup.statuses().await,
        ("SUCCEEDED".to_owned(), "READY".to_owned())
    );
    let (status, _, reply) = deliver_to(&setup.base, &setup.path, SECRET, "msg_c1", &body).await;
    assert_eq!((status, reply.as_str()), (200, r#"{"status":"duplicate"}"#));
}

#[tokio::test]
async fn wrong_unknown_and_secretless_credentials_are_answered_like_a_bad_signature() {
    let setup = setup().await;
    let other_path = other_workspace(&setup, "other", Some(OTHER_SECRET)).await;
    let secretless_path = other_workspace(&setup, "bare", None).await;
    setup.fixture.emulator.advance(3_600);
    let before = setup.statuses().await;
    let body = event(&setup.provider_job_id);
    let stranger = "whsec_c29tZWJvZHkgZWxzZQ==";
    let bad_signature = deliver_to(&setup.base, &setup.path, stranger, "msg_w", &body).await;
    assert_eq!(bad_signature.0, 401, "{}", bad_signature.2);
    let unknown = format!("{SHARED}/{}", uuid::Uuid::now_v7());
    let malformed = format!("{SHARED}/not-an-id");
    let cases = [
        (other_path.as_str(), SECRET, "another credential's URL"),
        (unknown.as_str(), SECRET, "an unknown credential"),
        (malformed.as_str(), SECRET, "a malformed credential id"),
        (
            secretless_path.as_str(),
            SECRET,
            "a credential without a secret",
        ),
        (
            secretless_path.as_str(),
            stranger,
            "the same, another secret",
        ),
    ];
    for (path, secret, what) in cases {
        let answer = deliver_to(&setup.base, path, secret, "msg_w", &body).await;
        assert_eq!(answer, bad_signature, "{what}");
    }
    assert_eq!(setup.statuses().await, before);
    // Headers are checked before anything else, the same way on every URL.
    let (status, _, _) = post_to(&setup.base, &unknown, [None, None, None], &body).await;
    assert_eq!(status, 401);
    // None of these spent the webhook-id: the genuine delivery is processed.
    let genuine = deliver_to(&setup.base, &setup.path, SECRET, "msg_w", &body).await;
    assert_eq!(
        (genuine.0, genuine.2.as_str()),
        (200, r#"{"status":"processed"}"#)
    );
}
