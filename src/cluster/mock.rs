//! Test support: a kube [`Client`] over a `tower-test` mock service that records every request
//! and answers from a closure, the way kube-rs tests its own request shapes.

use std::sync::{Arc, Mutex};

use http::{Request, Response};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};
use tower_test::mock;

use super::client::Target;
use super::live::Live;
use super::safety::{Guard, Ownership};

/// One request as the API server would have seen it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The `Content-Type` header.
    pub content_type: String,
    /// The body, parsed as JSON or YAML when it is one (`Null` when empty).
    pub body: Value,
}

impl Recorded {
    /// Whether the request changes anything.
    #[must_use]
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

/// The requests seen so far.
pub type Log = Arc<Mutex<Vec<Recorded>>>;

/// A client whose API server is `respond` (status, JSON body), and the request log.
pub fn client(respond: impl Fn(&Recorded) -> (u16, Value) + Send + 'static) -> (Client, Log) {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    tokio::spawn(async move {
        let mut handle = std::pin::pin!(handle);
        while let Some((request, send)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let bytes = body.collect_bytes().await.unwrap_or_default();
            let body = serde_json::from_slice(&bytes)
                .or_else(|_| serde_saphyr::from_slice(&bytes))
                .unwrap_or(Value::Null);
            let recorded = Recorded {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                content_type: parts
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
                body,
            };
            let (status, answer) = respond(&recorded);
            if let Ok(mut log) = seen.lock() {
                log.push(recorded);
            }
            let mut response = Response::new(Body::from(answer.to_string().into_bytes()));
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
            send.send_response(response);
        }
    });
    (client_over(service), log)
}

fn client_over(service: mock::Mock<Request<Body>, Response<Body>>) -> Client {
    Client::new(service, "default")
}

/// A [`Live`] over `respond` with a known ownership.
pub fn live(
    ownership: Ownership,
    allow_foreign: bool,
    respond: impl Fn(&Recorded) -> (u16, Value) + Send + 'static,
) -> (Live, Log) {
    let (client, log) = client(respond);
    let target = Target {
        kubeconfig: "mock".to_owned(),
        context: None,
        server: "https://mock/".to_owned(),
    };
    (
        Live::from_parts(client, target, Guard::new(ownership, allow_foreign, "mock".to_owned())),
        log,
    )
}

/// An empty list of `kind`.
#[must_use]
pub fn empty_list(kind: &str) -> Value {
    json!({"apiVersion": "v1", "kind": format!("{kind}List"), "metadata": {}, "items": []})
}

/// Echo an applied or patched object back, as the API server does.
#[must_use]
pub fn echo(request: &Recorded) -> (u16, Value) {
    (200, request.body.clone())
}

/// The requests logged so far.
#[must_use]
pub fn requests(log: &Log) -> Vec<Recorded> {
    log.lock().map(|l| l.clone()).unwrap_or_default()
}
