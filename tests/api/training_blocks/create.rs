//! Creating and reading training blocks, and the checks on their content.

use serde_json::{json, Value};

use super::*;
use crate::harness::TestApp;

#[tokio::test]
async fn a_new_block_is_returned_and_can_be_read_back_with_all_its_fields() {
    let app = TestApp::spawn().await;
    let created = create_ok(
        &app,
        json!({
            "tag": "  returns ",
            "additionalRules": "Be brief.\nBe kind.",
            "notes": " from the support inbox ",
            "exchanges": exchanges(&[("Hi", "Hello!"), ("Can I return shoes?", "Yes, within 30 days."), ("Thanks", "You're welcome.")]),
        }),
    )
    .await;
    assert_eq!(created["status"], "NOT_TRAINED", "NOT_TRAINED by default");
    assert_eq!(created["tag"], "returns", "tags are trimmed");
    assert_eq!(created["additionalRules"], "Be brief.\nBe kind.");
    assert_eq!(created["notes"], "from the support inbox");
    assert_eq!(
        created["exchanges"],
        exchanges(&[
            ("Hi", "Hello!"),
            ("Can I return shoes?", "Yes, within 30 days."),
            ("Thanks", "You're welcome.")
        ]),
        "exchanges keep their order"
    );
    assert_eq!(created["createdAt"], created["updatedAt"]);
    let id = created["id"].as_str().expect("id");
    assert_eq!(read(&app, id).await.data()["trainingBlock"], created);
}

#[tokio::test]
async fn a_block_may_be_created_with_any_status() {
    let app = TestApp::spawn().await;
    for status in ["NOT_TRAINED", "TRAINED", "DRAFT"] {
        let created = create_ok(
            &app,
            json!({ "status": status, "exchanges": exchanges(&[("p", "r")]) }),
        )
        .await;
        assert_eq!(created["status"], status);
        let id = created["id"].as_str().expect("id");
        assert_eq!(
            read(&app, id).await.data()["trainingBlock"]["status"],
            status
        );
    }
}

#[tokio::test]
async fn blank_tag_notes_and_rules_are_stored_as_null() {
    let app = TestApp::spawn().await;
    let created = create_ok(
        &app,
        json!({ "tag": "   ", "notes": "\n ", "additionalRules": "", "exchanges": exchanges(&[("p", "r")]) }),
    )
    .await;
    assert_eq!(created["tag"], Value::Null);
    assert_eq!(created["notes"], Value::Null);
    assert_eq!(created["additionalRules"], Value::Null);
}

#[tokio::test]
async fn a_draft_may_have_an_empty_response() {
    let app = TestApp::spawn().await;
    let created = create_ok(
        &app,
        json!({ "status": "DRAFT", "exchanges": exchanges(&[("What is 2 + 2?", ""), ("", "  ")]) }),
    )
    .await;
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(
        created["exchanges"],
        exchanges(&[("What is 2 + 2?", ""), ("", "  ")])
    );
}

#[tokio::test]
async fn a_block_that_is_not_a_draft_needs_every_prompt_and_response() {
    let app = TestApp::spawn().await;
    let cases = [
        ("NOT_TRAINED", vec![("", "r")], "exchanges[0].prompt"),
        (
            "NOT_TRAINED",
            vec![("p", "r"), ("p", " \n\t")],
            "exchanges[1].response",
        ),
        (
            "TRAINED",
            vec![("p", "r"), ("p", "r"), ("  ", "r")],
            "exchanges[2].prompt",
        ),
    ];
    for (status, pairs, field) in cases {
        let reply = create(
            &app,
            json!({ "status": status, "exchanges": exchanges(&pairs) }),
        )
        .await;
        assert_bad_input(&reply, field);
    }
    let reply = create(&app, json!({ "exchanges": exchanges(&[("p", "")]) })).await;
    assert_bad_input(&reply, "exchanges[0].response");
    assert_eq!(snapshot(&app).await["totalCount"], 0, "nothing was created");
}

#[tokio::test]
async fn a_block_holds_one_to_three_exchanges() {
    let app = TestApp::spawn().await;
    for status in ["NOT_TRAINED", "DRAFT"] {
        let none = create(&app, json!({ "status": status, "exchanges": [] })).await;
        assert_bad_input(&none, "exchanges");
        let four = exchanges(&[("a", "b"); 4]);
        let reply = create(&app, json!({ "status": status, "exchanges": four })).await;
        assert_bad_input(&reply, "exchanges");
    }
    assert_eq!(snapshot(&app).await["totalCount"], 0, "nothing was created");
    let three = create_ok(&app, json!({ "exchanges": exchanges(&[("a", "b"); 3]) })).await;
    assert_eq!(three["exchanges"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn prompts_and_responses_may_hold_up_to_100000_characters() {
    let app = TestApp::spawn().await;
    // Characters, not bytes: 'é' takes two bytes in UTF-8.
    let longest = "é".repeat(100_000);
    let created = create_ok(
        &app,
        json!({ "exchanges": exchanges(&[(&longest, &longest)]) }),
    )
    .await;
    assert_eq!(created["exchanges"][0]["prompt"], longest.as_str());
    assert_eq!(created["exchanges"][0]["response"], longest.as_str());

    let before = snapshot(&app).await;
    let too_long = "x".repeat(100_001);
    for status in ["NOT_TRAINED", "DRAFT"] {
        let long_prompt = exchanges(&[("p", "r"), (&too_long, "r")]);
        let reply = create(&app, json!({ "status": status, "exchanges": long_prompt })).await;
        assert_bad_input(&reply, "exchanges[1].prompt");
        let long_response = exchanges(&[("p", &too_long)]);
        let reply = create(
            &app,
            json!({ "status": status, "exchanges": long_response }),
        )
        .await;
        assert_bad_input(&reply, "exchanges[0].response");
    }
    assert_eq!(snapshot(&app).await, before, "nothing was created");
}

#[tokio::test]
async fn tags_are_at_most_64_characters_on_one_line() {
    let app = TestApp::spawn().await;
    let longest = "t".repeat(64);
    let created = create_ok(
        &app,
        json!({ "tag": longest, "exchanges": exchanges(&[("p", "r")]) }),
    )
    .await;
    assert_eq!(created["tag"], longest.as_str());

    let before = snapshot(&app).await;
    let too_long = "t".repeat(65);
    for tag in [
        too_long.as_str(),
        "two\nlines",
        "a\tb",
        "bell\u{7}",
        "nul\u{0}x",
    ] {
        let reply = create(
            &app,
            json!({ "tag": tag, "exchanges": exchanges(&[("p", "r")]) }),
        )
        .await;
        assert_bad_input(&reply, "tag");
    }
    assert_eq!(snapshot(&app).await, before, "nothing was created");
}

#[tokio::test]
async fn notes_and_additional_rules_are_at_most_10000_characters() {
    let app = TestApp::spawn().await;
    let longest = "n".repeat(10_000);
    let created = create_ok(
        &app,
        json!({ "notes": longest, "additionalRules": longest, "exchanges": exchanges(&[("p", "r")]) }),
    )
    .await;
    assert_eq!(created["notes"], longest.as_str());
    assert_eq!(created["additionalRules"], longest.as_str());

    let before = snapshot(&app).await;
    let too_long = "n".repeat(10_001);
    for field in ["notes", "additionalRules"] {
        let reply = create(
            &app,
            json!({ field: too_long, "exchanges": exchanges(&[("p", "r")]) }),
        )
        .await;
        assert_bad_input(&reply, field);
        let id = created["id"].as_str().expect("id");
        let reply = update(&app, id, json!({ field: too_long })).await;
        assert_bad_input(&reply, field);
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn malformed_ids_are_refused_naming_the_argument() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("a", "1")], None).await;
    let before = snapshot(&app).await;
    assert_bad_input(&read(&app, "not-an-id").await, "id");
    assert_bad_input(&update(&app, "42", json!({ "notes": "x" })).await, "id");
    let cases = [
        ("delete", json!({ "ids": [a, "nope"] })),
        ("status", json!({ "ids": [a, "nope"], "status": "TRAINED" })),
        ("tag", json!({ "ids": [a, "nope"], "tag": "x" })),
    ];
    for (mutation, vars) in cases {
        let reply = bulk(&app, mutation, vars).await;
        assert_bad_input(&reply, "ids[1]");
    }
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn an_unknown_block_is_not_found() {
    let app = TestApp::spawn().await;
    let unknown = an_unknown_id();
    assert_eq!(read(&app, &unknown).await.code(), "NOT_FOUND");
    let reply = update(&app, &unknown, json!({ "notes": "x" })).await;
    assert_eq!(reply.code(), "NOT_FOUND");
    assert_eq!(snapshot(&app).await["totalCount"], 0);
}

#[tokio::test]
async fn nul_characters_are_refused_on_every_backend() {
    let app = TestApp::spawn().await;
    let id = app.create_block(&[("p", "r")], None).await;
    let before = snapshot(&app).await;
    let reply = create(&app, json!({ "exchanges": exchanges(&[("a\u{0}b", "r")]) })).await;
    assert_bad_input(&reply, "exchanges[0].prompt");
    let draft = json!({ "status": "DRAFT", "exchanges": exchanges(&[("p", "\u{0}")]) });
    assert_bad_input(&create(&app, draft).await, "exchanges[0].response");
    let reply = update(
        &app,
        &id,
        json!({ "exchanges": exchanges(&[("p", "r\u{0}")]) }),
    )
    .await;
    assert_bad_input(&reply, "exchanges[0].response");
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    for (field, value) in [("search", "p\u{0}"), ("tag", "t\u{0}")] {
        let reply = app
            .admin_gql(
                "query($filter: TrainingBlockFilter) { trainingBlocks(filter: $filter) { totalCount } }",
                json!({ "filter": { field: value } }),
            )
            .await;
        assert_bad_input(&reply, &format!("filter.{field}"));
    }
}
