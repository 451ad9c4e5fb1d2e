//! A mock PingOne (token endpoint + management API) that serves any export directory.
//!
//! It reads the JSON Lines files of an export directory and answers as the API would (API.md
//! section 8): HAL envelopes with `_links.self`/`next`, `_embedded.<key>`, `count`, `size`,
//! `limit` with an opaque base64 cursor, the filter subset the ingest uses
//! (`memberOfGroups[id eq "G"]`, a `recordedat` window), `include=memberOfGroupIDs` (can be
//! turned off), role assignments per subject, grants, scopes, group parents and activities
//! (newest first). The token endpoint enforces BASIC or POST client authentication and can issue
//! short-lived tokens. Faults are injected per path suffix. Every request is logged, so tests
//! can assert what the client asked for.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

/// How the worker app must authenticate at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    Post,
}

/// An injected fault, matched on the end of the request path (without the query).
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer `status` the first `times` matching requests (`None`: always), with `Retry-After`.
    Status {
        path_suffix: String,
        status: u16,
        times: Option<u32>,
        retry_after: Option<u64>,
    },
    /// Answer `status` `times` times, but only after `after` matching requests succeeded.
    StatusAfter {
        path_suffix: String,
        status: u16,
        after: u32,
        times: u32,
    },
    /// A 200 with a body that is not JSON, `times` times.
    Malformed { path_suffix: String, times: u32 },
    /// HTTP 500 on page `page` (1-based) of a matching collection.
    FailOnPage { path_suffix: String, page: usize },
    /// Sleep before answering.
    Slow { path_suffix: String, millis: u64 },
    /// `next` links lose the `include` parameter.
    DropIncludeInNext,
    /// Accept the request and never answer (until the mock stops).
    Hang { path_suffix: String },
    /// A `200` whose `Content-Length` promises more than is sent: part of the body, then the
    /// connection closes. The first `times` matching requests (`None`: always).
    DropMidBody {
        path_suffix: String,
        times: Option<u32>,
    },
    /// Every page of a matching collection links `next` to itself.
    NextToSelf { path_suffix: String },
}

impl Fault {
    pub fn deny(path_suffix: &str) -> Fault {
        Fault::Status {
            path_suffix: path_suffix.into(),
            status: 403,
            times: None,
            retry_after: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct MockOptions {
    pub client_id: String,
    pub client_secret: String,
    pub auth_method: AuthMethod,
    pub token_ttl_secs: u64,
    /// The server's page size cap.
    pub max_page: usize,
    /// Serve `memberOfGroupIDs` on users when asked with `include=`.
    pub include_member_ids: bool,
    /// Answer `400 INVALID_REQUEST` to a users list with `include=` (the spec documents the
    /// include on single-user reads only).
    pub reject_include_on_lists: bool,
    /// `_embedded` key of `GET /groups/{id}/memberOfGroups`.
    pub nesting_key: &'static str,
    /// Leave `_embedded` out of empty pages.
    pub omit_empty_embedded: bool,
    pub faults: Vec<Fault>,
    /// After this many API requests, every token issued so far becomes invalid (once).
    pub revoke_tokens_after: Option<u64>,
    /// Server-side limit: more requests than this in one second get `429` + `Retry-After: 1`.
    pub rate_limit_rps: Option<u32>,
    /// Widen every activities window by this many seconds on both sides, so that consecutive
    /// windows overlap and return some events twice (the client must deduplicate by id).
    pub widen_activity_windows_secs: i64,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            client_id: "8cb5e06b-f57d-5bba-b721-48e0d28167fb".into(),
            client_secret: "fake-Secret-7q2x".into(),
            auth_method: AuthMethod::Basic,
            token_ttl_secs: 3600,
            max_page: 1000,
            include_member_ids: true,
            reject_include_on_lists: false,
            nesting_key: "groupMemberships",
            omit_empty_embedded: false,
            faults: Vec::new(),
            revoke_tokens_after: None,
            rate_limit_rps: None,
            widen_activity_windows_secs: 0,
        }
    }
}

/// One logged request.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    /// `basic` / `post` for token requests.
    pub auth: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct EnvData {
    lists: HashMap<String, Vec<Value>>,
    /// (collection, id) of every listed object, for subject lookups.
    ids: std::collections::HashSet<(String, String)>,
    /// user -> direct group ids.
    memberships: HashMap<String, Vec<String>>,
    parents: HashMap<String, Vec<Value>>,
    /// (subject kind path segment, subject id) -> assignments.
    assignments: HashMap<(String, String), Vec<Value>>,
    grants: HashMap<String, Vec<Value>>,
    scopes: HashMap<String, Vec<Value>>,
}

#[derive(Default)]
struct Data {
    environments: Vec<Value>,
    roles: Vec<Value>,
    organization: Option<Value>,
    envs: HashMap<String, EnvData>,
}

struct Tokens {
    /// token -> (issued, epoch)
    issued: HashMap<String, (Instant, u64)>,
    epoch: u64,
    serial: u64,
    revoked: bool,
}

struct Mock {
    data: Data,
    opts: MockOptions,
    base: String,
    log: Mutex<Vec<Logged>>,
    fault_hits: Mutex<Vec<u32>>,
    tokens: Mutex<Tokens>,
    api_requests: Mutex<u64>,
    /// After this many API requests the worker's secret is revoked: every API request answers
    /// `401` and the token endpoint refuses the client (settable while running).
    dead_after: Mutex<Option<u64>>,
    /// Answer `GET /environments/{id}` with this organization id instead (settable while running).
    organization_override: Mutex<Option<String>>,
    second: Mutex<(u64, u32)>,
    started: Instant,
    /// Requests held by [`Fault::Hang`] so far.
    hung: Mutex<u64>,
    /// Set when the mock stops: releases the requests held by [`Fault::Hang`], so that the
    /// graceful shutdown does not wait for them.
    closing: tokio::sync::watch::Sender<bool>,
}

pub struct MockPingOne {
    pub addr: SocketAddr,
    state: Arc<Mock>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn read_jsonl(base: &Path) -> Vec<Value> {
    let plain = base.with_extension("jsonl");
    let zst = base.with_extension("jsonl.zst");
    let bytes = if plain.is_file() {
        std::fs::read(&plain).expect("read jsonl")
    } else if zst.is_file() {
        zstd::decode_all(std::fs::File::open(&zst).expect("open zst")).expect("decode zst")
    } else {
        return Vec::new();
    };
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(|l| serde_json::from_slice(l).expect("valid JSON line"))
        .collect()
}

fn unwrap_child(v: Value) -> (String, String, Value) {
    let kind = v["parent"]["type"].as_str().unwrap_or("").to_string();
    let id = v["parent"]["id"].as_str().unwrap_or("").to_string();
    (kind, id, v["item"].clone())
}

fn load(dir: &Path) -> Data {
    let mut d = Data {
        environments: read_jsonl(&dir.join("environments")),
        roles: read_jsonl(&dir.join("roles")),
        ..Default::default()
    };
    if let Ok(m) = std::fs::read(dir.join("manifest.json")) {
        let m: Value = serde_json::from_slice(&m).expect("manifest");
        if let Some(o) = m.get("organization").filter(|o| o["id"].is_string()) {
            d.organization = Some(json!({"id": o["id"], "name": o["name"], "type": "PAID"}));
        }
    }
    let root = dir.join("environments");
    let Ok(rd) = std::fs::read_dir(&root) else {
        return d;
    };
    for e in rd.flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let env = e.file_name().to_string_lossy().into_owned();
        let p = e.path();
        let mut ed = EnvData::default();
        for name in [
            "populations",
            "users",
            "groups",
            "roles",
            "applications",
            "resources",
            "gateways",
            "activities",
        ] {
            let items = read_jsonl(&p.join(name));
            for it in &items {
                if let Some(id) = it["id"].as_str() {
                    ed.ids.insert((name.to_string(), id.to_string()));
                }
            }
            ed.lists.insert(name.to_string(), items);
        }
        for w in read_jsonl(&p.join("user_memberships")) {
            let (_, user, item) = unwrap_child(w);
            if item["type"].as_str() == Some("INDIRECT") {
                continue;
            }
            if let Some(g) = item["id"].as_str() {
                ed.memberships.entry(user).or_default().push(g.to_string());
            }
        }
        for w in read_jsonl(&p.join("group_parents")) {
            let (_, child, item) = unwrap_child(w);
            ed.parents.entry(child).or_default().push(item);
        }
        for w in read_jsonl(&p.join("role_assignments")) {
            let (kind, id, item) = unwrap_child(w);
            let seg = match kind.as_str() {
                "USER" => "users",
                "GROUP" => "groups",
                "APPLICATION" => "applications",
                "GATEWAY" => "gateways",
                _ => continue,
            };
            ed.assignments
                .entry((seg.to_string(), id))
                .or_default()
                .push(item);
        }
        for w in read_jsonl(&p.join("grants")) {
            let (_, id, item) = unwrap_child(w);
            ed.grants.entry(id).or_default().push(item);
        }
        for w in read_jsonl(&p.join("scopes")) {
            let (_, id, item) = unwrap_child(w);
            ed.scopes.entry(id).or_default().push(item);
        }
        d.envs.insert(env, ed);
    }
    d
}

impl MockPingOne {
    /// Serves the export directory `dir` on `127.0.0.1:<free port>`.
    pub fn start(dir: &Path, opts: MockOptions) -> MockPingOne {
        let data = load(dir);
        let (tx_addr, rx_addr) = std::sync::mpsc::channel();
        let (tx_stop, rx_stop) = tokio::sync::oneshot::channel::<()>();
        let faults = opts.faults.len();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("mock runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("addr");
                let state = Arc::new(Mock {
                    data,
                    opts,
                    base: format!("http://{addr}"),
                    log: Mutex::new(Vec::new()),
                    fault_hits: Mutex::new(vec![0; faults]),
                    tokens: Mutex::new(Tokens {
                        issued: HashMap::new(),
                        epoch: 0,
                        serial: 0,
                        revoked: false,
                    }),
                    api_requests: Mutex::new(0),
                    dead_after: Mutex::new(None),
                    organization_override: Mutex::new(None),
                    second: Mutex::new((0, 0)),
                    started: Instant::now(),
                    hung: Mutex::new(0),
                    closing: tokio::sync::watch::Sender::new(false),
                });
                tx_addr.send((addr, state.clone())).expect("send addr");
                let app = Router::new().fallback(handle).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx_stop.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let (addr, state) = rx_addr.recv().expect("mock started");
        MockPingOne {
            addr,
            state,
            shutdown: Some(tx_stop),
            thread: Some(thread),
        }
    }

    /// `--api-url`.
    pub fn api_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `--auth-url`.
    pub fn auth_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn secret(&self) -> &str {
        &self.state.opts.client_secret
    }

    pub fn client_id(&self) -> &str {
        &self.state.opts.client_id
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.log.lock().unwrap().clone()
    }

    /// API requests (not token requests) whose path ends with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.log()
            .iter()
            .filter(|l| l.method == "GET" && l.path.ends_with(suffix))
            .count()
    }

    /// From now on, every API request after the `n`-th (counted since the start) answers `401`
    /// and the token endpoint refuses the client, as after a revoked secret; `None` heals it.
    pub fn set_dead_after(&self, n: Option<u64>) {
        *self.state.dead_after.lock().unwrap() = n;
    }

    /// `GET /environments/{id}` names this organization from now on (another tenant behind the
    /// same host).
    pub fn set_organization(&self, id: &str) {
        *self.state.organization_override.lock().unwrap() = Some(id.to_string());
    }

    /// Requests held without an answer by [`Fault::Hang`] so far.
    pub fn hung(&self) -> u64 {
        *self.state.hung.lock().unwrap()
    }

    /// API requests answered so far (token requests not counted).
    pub fn api_requests(&self) -> u64 {
        *self.state.api_requests.lock().unwrap()
    }

    pub fn token_requests(&self) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.path.ends_with("/as/token"))
            .collect()
    }
}

impl Drop for MockPingOne {
    fn drop(&mut self) {
        self.state.closing.send_replace(true);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn error(status: u16, code: &str, detail: &str) -> Response {
    let body = json!({
        "id": "00000000-0000-4000-8000-000000000000",
        "code": code,
        "message": format!("{code}: {detail}"),
        "details": [{"code": detail, "message": detail}],
    });
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn error_for(status: u16) -> Response {
    match status {
        403 => error(403, "ACCESS_FAILED", "INSUFFICIENT_PERMISSIONS"),
        404 => error(404, "NOT_FOUND", "NOT_FOUND"),
        429 => error(429, "REQUEST_LIMITED", "LIMIT_EXCEEDED"),
        s => error(s, "UNEXPECTED_ERROR", "UNEXPECTED_ERROR"),
    }
}

/// How `next` links are damaged ([`Fault::DropIncludeInNext`], [`Fault::NextToSelf`]).
#[derive(Clone, Copy, Debug, Default)]
struct NextFaults {
    drop_include: bool,
    to_self: bool,
}

/// Headers promising a 100 000-byte body, the start of it, then the connection closes.
fn truncated_response() -> Response {
    let chunks = futures_util::stream::unfold(0u8, |step| async move {
        match step {
            0 => Some((
                Ok::<_, std::io::Error>(Bytes::from_static(b"{\"_embedded\": {\"groups\": [")),
                1,
            )),
            1 => {
                // Let the headers and the first bytes reach the client before the connection goes.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((
                    Err(std::io::Error::other("connection dropped by the mock")),
                    2,
                ))
            }
            _ => None,
        }
    });
    let mut r = axum::body::Body::from_stream(chunks).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("100000"));
    r
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

async fn handle(
    State(m): State<Arc<Mock>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let (resp, auth) = if method == Method::POST && path.ends_with("/as/token") {
        m.token(&headers, &body)
    } else if method == Method::GET && path.starts_with("/v1/") {
        (m.api(&path, &query, &headers).await, None)
    } else {
        (error(404, "NOT_FOUND", "NOT_FOUND"), None)
    };
    m.log.lock().unwrap().push(Logged {
        method: method.to_string(),
        path,
        query,
        auth,
        status: resp.status().as_u16(),
    });
    resp
}

impl Mock {
    fn dead(&self) -> bool {
        let n = *self.api_requests.lock().unwrap();
        self.dead_after.lock().unwrap().is_some_and(|d| n >= d)
    }

    fn token(&self, headers: &HeaderMap, body: &[u8]) -> (Response, Option<String>) {
        if self.dead() {
            return (
                oauth_error("invalid_client", "Invalid client credentials"),
                None,
            );
        }
        let form = parse_query(std::str::from_utf8(body).unwrap_or(""));
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok());
        let (method, id, secret) = match (&basic, get(&form, "client_id")) {
            (Some(b), _) => {
                let (id, s) = b.split_once(':').unwrap_or((b.as_str(), ""));
                (AuthMethod::Basic, id.to_string(), s.to_string())
            }
            (None, Some(id)) => (
                AuthMethod::Post,
                id.to_string(),
                get(&form, "client_secret").unwrap_or("").to_string(),
            ),
            (None, None) => {
                return (
                    oauth_error("invalid_client", "no client authentication"),
                    None,
                );
            }
        };
        let label = Some(
            if method == AuthMethod::Basic {
                "basic"
            } else {
                "post"
            }
            .to_string(),
        );
        if get(&form, "grant_type") != Some("client_credentials") {
            return (
                (
                    StatusCode::BAD_REQUEST,
                    json!({"error":"unsupported_grant_type"}).to_string(),
                )
                    .into_response(),
                label,
            );
        }
        if method != self.opts.auth_method {
            return (
                oauth_error("invalid_client", "Unsupported authentication method"),
                label,
            );
        }
        if id != self.opts.client_id || secret != self.opts.client_secret {
            return (
                oauth_error("invalid_client", "Invalid client credentials"),
                label,
            );
        }
        let mut t = self.tokens.lock().unwrap();
        t.serial += 1;
        let token = format!("tok-{}-{}", t.serial, self.started.elapsed().as_nanos());
        let epoch = t.epoch;
        t.issued.insert(token.clone(), (Instant::now(), epoch));
        let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": self.opts.token_ttl_secs});
        (
            (
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response(),
            label,
        )
    }

    fn check_bearer(&self, headers: &HeaderMap) -> bool {
        let Some(tok) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        let t = self.tokens.lock().unwrap();
        match t.issued.get(tok) {
            Some((at, epoch)) => {
                *epoch == t.epoch && at.elapsed() < Duration::from_secs(self.opts.token_ttl_secs)
            }
            None => false,
        }
    }

    async fn api(&self, path: &str, query: &str, headers: &HeaderMap) -> Response {
        if self.dead() {
            return error(401, "ACCESS_FAILED", "INVALID_TOKEN");
        }
        {
            let mut n = self.api_requests.lock().unwrap();
            *n += 1;
            if let Some(after) = self.opts.revoke_tokens_after {
                let mut t = self.tokens.lock().unwrap();
                if *n > after && !t.revoked {
                    t.revoked = true;
                    t.epoch += 1;
                }
            }
        }
        if !self.check_bearer(headers) {
            return error(401, "ACCESS_FAILED", "INVALID_TOKEN");
        }
        if let Some(limit) = self.opts.rate_limit_rps {
            let sec = self.started.elapsed().as_secs();
            let mut s = self.second.lock().unwrap();
            if s.0 != sec {
                *s = (sec, 0);
            }
            s.1 += 1;
            if s.1 > limit {
                let mut r = error_for(429);
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return r;
            }
        }
        let q = parse_query(query);
        let limit = get(&q, "limit")
            .and_then(|l| l.parse::<usize>().ok())
            .unwrap_or(1000)
            .clamp(1, self.opts.max_page.max(1));
        let offset = get(&q, "cursor")
            .and_then(|c| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.strip_prefix("offset:")
                    .and_then(|o| o.parse::<usize>().ok())
            })
            .unwrap_or(0);
        let page = offset / limit + 1;
        // Faults.
        let mut next_faults = NextFaults::default();
        for (i, f) in self.opts.faults.iter().enumerate() {
            let hit = |suffix: &str| path.ends_with(suffix);
            match f {
                Fault::Status {
                    path_suffix,
                    status,
                    times,
                    retry_after,
                } if hit(path_suffix) => {
                    let mut hits = self.fault_hits.lock().unwrap();
                    if times.is_none_or(|t| hits[i] < t) {
                        hits[i] += 1;
                        let mut r = error_for(*status);
                        if let Some(s) = retry_after {
                            r.headers_mut().insert(
                                header::RETRY_AFTER,
                                HeaderValue::from_str(&s.to_string()).unwrap(),
                            );
                        }
                        return r;
                    }
                }
                Fault::StatusAfter {
                    path_suffix,
                    status,
                    after,
                    times,
                } if hit(path_suffix) => {
                    let mut hits = self.fault_hits.lock().unwrap();
                    hits[i] += 1;
                    if hits[i] > *after && hits[i] <= after + times {
                        return error_for(*status);
                    }
                }
                Fault::Malformed { path_suffix, times } if hit(path_suffix) => {
                    let mut hits = self.fault_hits.lock().unwrap();
                    if hits[i] < *times {
                        hits[i] += 1;
                        return (
                            [(header::CONTENT_TYPE, "application/json")],
                            "{\"_embedded\": {\"users\": [",
                        )
                            .into_response();
                    }
                }
                Fault::FailOnPage {
                    path_suffix,
                    page: p,
                } if hit(path_suffix) && page == *p => {
                    return error_for(500);
                }
                Fault::Slow {
                    path_suffix,
                    millis,
                } if hit(path_suffix) => {
                    tokio::time::sleep(Duration::from_millis(*millis)).await;
                }
                Fault::DropIncludeInNext => next_faults.drop_include = true,
                Fault::Hang { path_suffix } if hit(path_suffix) => {
                    *self.hung.lock().unwrap() += 1;
                    let mut closing = self.closing.subscribe();
                    let _ = closing.wait_for(|c| *c).await;
                    return error_for(503);
                }
                Fault::DropMidBody { path_suffix, times } if hit(path_suffix) => {
                    let mut hits = self.fault_hits.lock().unwrap();
                    if times.is_none_or(|t| hits[i] < t) {
                        hits[i] += 1;
                        return truncated_response();
                    }
                }
                Fault::NextToSelf { path_suffix } if hit(path_suffix) => next_faults.to_self = true,
                _ => {}
            }
        }
        let segs: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
        let filter = get(&q, "filter");
        let no_filter = |r: Response| {
            if filter.is_some() {
                error(400, "INVALID_DATA", "INVALID_FILTER")
            } else {
                r
            }
        };
        match segs.as_slice() {
            ["environments"] => no_filter(self.page(
                path,
                &q,
                "environments",
                &self.data.environments,
                offset,
                limit,
                next_faults,
            )),
            ["roles"] => no_filter(self.page(
                path,
                &q,
                "roles",
                &self.data.roles,
                offset,
                limit,
                next_faults,
            )),
            ["environments", env] => match self
                .data
                .environments
                .iter()
                .find(|e| e["id"].as_str() == Some(env))
            {
                Some(e) => {
                    let mut e = e.clone();
                    if let Some(org) = self.organization_override.lock().unwrap().clone() {
                        e["organization"] = json!({ "id": org });
                    }
                    ([(header::CONTENT_TYPE, "application/json")], e.to_string()).into_response()
                }
                None => error_for(404),
            },
            ["organizations", id] => match &self.data.organization {
                Some(o) if o["id"].as_str() == Some(id) => {
                    ([(header::CONTENT_TYPE, "application/json")], o.to_string()).into_response()
                }
                _ => error_for(404),
            },
            ["environments", env, coll] => {
                let Some(ed) = self.data.envs.get(*env) else {
                    return error_for(404);
                };
                let Some(items) = ed.lists.get(*coll) else {
                    return error_for(404);
                };
                match *coll {
                    "users" => {
                        if self.opts.reject_include_on_lists && get(&q, "include").is_some() {
                            return error(400, "INVALID_REQUEST", "INVALID_PARAMETER");
                        }
                        let mut users: Vec<Value> = match filter {
                            None => items.clone(),
                            Some(f) => {
                                let Some(g) = f
                                    .strip_prefix("memberOfGroups[id eq \"")
                                    .and_then(|r| r.strip_suffix("\"]"))
                                else {
                                    return error(400, "INVALID_DATA", "INVALID_FILTER");
                                };
                                items
                                    .iter()
                                    .filter(|u| {
                                        u["id"]
                                            .as_str()
                                            .and_then(|id| ed.memberships.get(id))
                                            .is_some_and(|gs| gs.iter().any(|x| x == g))
                                    })
                                    .cloned()
                                    .collect()
                            }
                        };
                        if self.opts.include_member_ids
                            && get(&q, "include") == Some("memberOfGroupIDs")
                        {
                            for u in &mut users {
                                let gids = u["id"]
                                    .as_str()
                                    .and_then(|id| ed.memberships.get(id))
                                    .cloned()
                                    .unwrap_or_default();
                                u["memberOfGroupIDs"] = json!(gids);
                            }
                        }
                        self.page(path, &q, "users", &users, offset, limit, next_faults)
                    }
                    "activities" => {
                        let Some(f) = filter else {
                            return error(400, "INVALID_DATA", "INVALID_FILTER");
                        };
                        let Some(window) = parse_window(f) else {
                            return error(400, "INVALID_DATA", "INVALID_FILTER");
                        };
                        let mut acts: Vec<(jiff::Timestamp, Value)> = items
                            .iter()
                            .filter_map(|a| {
                                Some((
                                    a["recordedAt"].as_str()?.parse::<jiff::Timestamp>().ok()?,
                                    a.clone(),
                                ))
                            })
                            .filter(|(t, _)| {
                                let widen = jiff::SignedDuration::from_secs(
                                    self.opts.widen_activity_windows_secs,
                                );
                                window.iter().all(|(op, x)| match *op {
                                    "ge" | "gt" if !widen.is_zero() => *t >= *x - widen,
                                    "lt" | "le" if !widen.is_zero() => *t <= *x + widen,
                                    "ge" => t >= x,
                                    "gt" => t > x,
                                    "le" => t <= x,
                                    _ => t < x,
                                })
                            })
                            .collect();
                        acts.sort_by_key(|a| std::cmp::Reverse(a.0));
                        let acts: Vec<Value> = acts.into_iter().map(|(_, a)| a).collect();
                        self.page(path, &q, "activities", &acts, offset, limit, next_faults)
                    }
                    other => {
                        no_filter(self.page(path, &q, other, items, offset, limit, next_faults))
                    }
                }
            }
            ["environments", env, kind, id, rel] => {
                let Some(ed) = self.data.envs.get(*env) else {
                    return error_for(404);
                };
                let exists = ed.ids.contains(&(kind.to_string(), id.to_string()));
                if !exists {
                    return error_for(404);
                }
                let empty = Vec::new();
                let (key, items) = match (*kind, *rel) {
                    ("groups", "memberOfGroups") => {
                        (self.opts.nesting_key, ed.parents.get(*id).unwrap_or(&empty))
                    }
                    (_, "roleAssignments") => (
                        "roleAssignments",
                        ed.assignments
                            .get(&(kind.to_string(), id.to_string()))
                            .unwrap_or(&empty),
                    ),
                    ("applications", "grants") => ("grants", ed.grants.get(*id).unwrap_or(&empty)),
                    ("resources", "scopes") => ("scopes", ed.scopes.get(*id).unwrap_or(&empty)),
                    _ => return error_for(404),
                };
                no_filter(self.page(path, &q, key, items, offset, limit, next_faults))
            }
            _ => error_for(404),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn page(
        &self,
        path: &str,
        q: &[(String, String)],
        key: &str,
        items: &[Value],
        offset: usize,
        limit: usize,
        next_faults: NextFaults,
    ) -> Response {
        let end = (offset + limit).min(items.len());
        let slice = if offset < items.len() {
            &items[offset..end]
        } else {
            &[][..]
        };
        let href = |params: &[(String, String)]| {
            let mut u = url::Url::parse(&format!("{}{}", self.base, path)).unwrap();
            if !params.is_empty() {
                u.query_pairs_mut().extend_pairs(params.iter());
            }
            u.to_string()
        };
        let mut links = json!({"self": {"href": href(q)}});
        if end < items.len() {
            let mut next: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| k != "cursor" && !(next_faults.drop_include && k == "include"))
                .cloned()
                .collect();
            next.push((
                "cursor".into(),
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{end}")),
            ));
            links["next"] = json!({"href": href(&next)});
        }
        if next_faults.to_self {
            links["next"] = links["self"].clone();
        }
        let mut body = json!({"_links": links, "count": items.len(), "size": slice.len()});
        if !(slice.is_empty() && self.opts.omit_empty_embedded) {
            body["_embedded"] = json!({ key: slice });
        }
        (
            [(header::CONTENT_TYPE, "application/hal+json")],
            body.to_string(),
        )
            .into_response()
    }
}

fn oauth_error(code: &str, desc: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": code, "error_description": desc}).to_string(),
    )
        .into_response()
}

/// `recordedat ge "X" and recordedat lt "Y"` -> [(op, ts)].
fn parse_window(f: &str) -> Option<Vec<(&'static str, jiff::Timestamp)>> {
    let mut out = Vec::new();
    for clause in f.split(" and ").flat_map(|c| c.split(" AND ")) {
        let mut parts = clause.trim().splitn(3, ' ');
        let attr = parts.next()?;
        let op = parts.next()?;
        let val = parts.next()?.trim().trim_matches('"');
        if !attr.eq_ignore_ascii_case("recordedat") {
            return None;
        }
        let op = match op.to_ascii_lowercase().as_str() {
            "ge" => "ge",
            "gt" => "gt",
            "le" => "le",
            "lt" => "lt",
            _ => return None,
        };
        out.push((op, val.parse().ok()?));
    }
    if out.is_empty() { None } else { Some(out) }
}
