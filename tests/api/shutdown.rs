//! Stopping the server: open requests get a grace period, and no longer.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};

/// Serves `router` with `grace`; the address, the trigger of the shutdown, and the server.
async fn serve(
    router: Router,
    grace: Duration,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<bool>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let server = tokio::spawn(tuner::app::serve_with_grace(
        listener, router, shutdown, grace,
    ));
    (base, stop, server)
}

#[tokio::test]
async fn a_response_that_never_ends_does_not_hold_the_shutdown_past_the_grace_period() {
    let forever =
        || async { Body::from_stream(futures::stream::pending::<Result<Bytes, std::io::Error>>()) };
    let router = Router::new().route("/forever", get(forever));
    let (base, stop, server) = serve(router, Duration::from_millis(300)).await;
    let response = reqwest::get(format!("{base}/forever")).await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "the answer has begun and never ends"
    );

    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the open answer held the shutdown")
        .unwrap()
        .unwrap();
    assert!(!finished, "an answer still open was reported as finished");
    drop(response);
}

#[tokio::test]
async fn requests_under_way_at_the_signal_finish_within_the_grace_period() {
    let started = Arc::new(Notify::new());
    let notify = Arc::clone(&started);
    let slow = move || {
        let notify = Arc::clone(&notify);
        async move {
            notify.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            "done"
        }
    };
    let router = Router::new().route("/slow", get(slow));
    let (base, stop, server) = serve(router, Duration::from_secs(30)).await;
    let request = tokio::spawn(async move {
        reqwest::get(format!("{base}/slow"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    started.notified().await;
    stop.send(()).unwrap();
    assert_eq!(request.await.unwrap(), "done");
    assert!(server.await.unwrap().unwrap(), "every request finished");
}
