use crate::helpers::{new_client, spawn_app};

#[tokio::test]
async fn unknown_route_is_a_404_page_in_the_users_language() {
    let app = spawn_app().await;
    let res = new_client()
        .get(app.url("/no/such/page"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("This page does not exist."));
    assert!(html.contains("<html lang=\"en\">"));

    let res = new_client()
        .get(app.url("/no/such/page"))
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Diese Seite gibt es nicht."));
}

#[tokio::test]
async fn wrong_method_is_a_405_page() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Diese Aktion ist hier nicht möglich."));
}

#[tokio::test]
async fn state_never_changes_on_get() {
    let app = spawn_app().await;
    for path in ["/logout", "/lang"] {
        let res = app.get(path).await;
        assert!(
            [404, 405].contains(&res.status().as_u16()),
            "{path}: {}",
            res.status()
        );
    }
}

#[tokio::test]
async fn oversized_form_is_a_413_page() {
    let app = spawn_app().await;
    let token = app.csrf().await;
    let big = "x".repeat(200 * 1024);
    let res = app
        .client
        .post(app.url("/login"))
        .headers(app.origin_header())
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", big.as_str()),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Die Anfrage ist zu groß."));
}

#[tokio::test]
async fn garbage_input_never_causes_a_server_error() {
    let app = spawn_app().await;
    let token = app.csrf().await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"%%%%".to_vec(),
        b"csrf_token=&email=&password=".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x01],
        format!("csrf_token={token}&email=%00%0d%0a&password=%ff").into_bytes(),
        format!("csrf_token={token}&email=a&email=b&password=x").into_bytes(),
    ];
    for path in ["/login", "/logout", "/lang"] {
        for body in &bodies {
            let res = app
                .client
                .post(app.url(path))
                .headers(app.origin_header())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert!(
                res.status().as_u16() < 500,
                "{path} {body:?}: {}",
                res.status()
            );
        }
    }
    for path in [
        "/static/..%2f..%2fetc%2fpasswd",
        "/%00",
        "/static/",
        "/login?next=%ff",
    ] {
        let res = app.get(path).await;
        assert!(res.status().as_u16() < 500, "{path}: {}", res.status());
    }
}

#[tokio::test]
async fn api_errors_are_json_with_a_stable_code() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/me").await;
    assert_eq!(res.status().as_u16(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["message"].as_str().unwrap().len() > 5);

    // The token comes first, also for paths that do not exist: without one, 401.
    assert_eq!(app.get("/api/v1/nothing-here").await.status().as_u16(), 401);
    let (_, token) = app
        .api_user("anna@stadt.example", bote::domain::role::Role::Staff)
        .await;
    let res = app.api_get(&token, "/api/v1/nothing-here").await;
    assert_eq!(res.status().as_u16(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

/// Regression: a non-ASCII `next` produced an invalid Location header and a 500.
#[tokio::test]
async fn non_ascii_next_is_ignored_not_an_error() {
    let app = spawn_app().await;
    app.signed_in("anna@stadt.example", bote::domain::role::Role::Staff)
        .await;
    let res = app.get("/login?next=/%C3%A4").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/");
    let res = app
        .post_form("/lang", &[("lang", "en"), ("next", "/ä")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
}
