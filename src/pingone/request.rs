//! The single request path: every API call goes through [`Api::get`].
//!
//! It owns what each call needs and nothing a caller should repeat: the bearer token (refreshed
//! once on `401 INVALID_TOKEN`), a client-side rate limit per rate group (PingOne throttles per
//! license and answers `429`; the audit group allows only 10 requests per second), a bound on the
//! requests in flight, and retries with jittered exponential backoff on `429`/`502`/`503`/`504` and
//! connection errors, honouring `Retry-After` (seconds). Retries are bounded; then the caller gets a
//! typed [`RequestError`]. A request that does not answer within [`RequestConfig::timeout`] is
//! retried at most [`MAX_TIMEOUT_RETRIES`] times (each attempt costs the whole timeout, and a
//! server that hangs once usually hangs again), then fails with [`RequestError::TimedOut`]. A `403`
//! is retried only when the caller says the same collection already succeeded (PingOne is known to
//! answer `403` under load); otherwise it is returned and the collector records a coverage gap.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde::Deserialize;
use tokio::sync::{Mutex, Semaphore};

use super::auth::TokenSource;
use super::error::RequestError;

/// Which client-side rate limit a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateGroup {
    General,
    /// `/environments/{env}/activities` (PingOne's Audit group, 10 rps).
    Activities,
}

/// Tuning of the request path.
#[derive(Clone, Debug)]
pub struct RequestConfig {
    pub max_rps: f64,
    pub activities_rps: f64,
    pub concurrency: usize,
    /// Attempts after the first one, for retryable failures.
    pub max_retries: u32,
    /// First backoff delay; doubled per attempt, capped at 30 s, jittered.
    pub retry_base: Duration,
    /// The whole request (connect, headers and body); the connect timeout is the smaller of this
    /// and [`CONNECT_TIMEOUT`].
    pub timeout: Duration,
}

/// The longest wait for a TCP/TLS connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Retries of a request that timed out (fewer when `max_retries` is lower).
pub const MAX_TIMEOUT_RETRIES: u32 = 2;

impl RequestConfig {
    /// The connect timeout: the request timeout, at most [`CONNECT_TIMEOUT`].
    pub fn connect_timeout(&self) -> Duration {
        self.timeout.min(CONNECT_TIMEOUT)
    }
}

impl Default for RequestConfig {
    fn default() -> Self {
        RequestConfig {
            max_rps: 20.0,
            activities_rps: 8.0,
            concurrency: 4,
            max_retries: 6,
            retry_base: Duration::from_millis(500),
            timeout: Duration::from_secs(120),
        }
    }
}

/// A token bucket of depth one: requests are spaced `1/rate` apart. When the server still
/// answers `429`, the rate drops by a fifth (at most once per second, so that one burst of
/// concurrent `429`s counts once, and never below one request per second): PingOne's limits are
/// per license and shared, so the configured rate may simply be too high.
pub struct RateLimiter {
    state: Mutex<LimiterState>,
}

struct LimiterState {
    interval: Duration,
    next: Instant,
    last_slowdown: Option<Instant>,
}

impl RateLimiter {
    pub fn new(rps: f64) -> Self {
        let rps = if rps.is_finite() && rps > 0.0 {
            rps
        } else {
            1.0
        };
        RateLimiter {
            state: Mutex::new(LimiterState {
                interval: Duration::from_secs_f64(1.0 / rps),
                next: Instant::now(),
                last_slowdown: None,
            }),
        }
    }

    pub async fn acquire(&self) {
        let at = {
            let mut st = self.state.lock().await;
            let now = Instant::now();
            let at = st.next.max(now);
            st.next = at + st.interval;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }

    /// The server throttled us: lower the rate. Returns the new rate when it changed.
    pub async fn slow_down(&self) -> Option<f64> {
        let mut st = self.state.lock().await;
        let now = Instant::now();
        if st
            .last_slowdown
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return None;
        }
        st.last_slowdown = Some(now);
        st.interval = st.interval.mul_f64(1.25).min(Duration::from_secs(1));
        Some(1.0 / st.interval.as_secs_f64())
    }

    /// The current rate in requests per second.
    pub async fn rate(&self) -> f64 {
        1.0 / self.state.lock().await.interval.as_secs_f64()
    }
}

/// Counters of the request path, for the final summary and the measurements.
#[derive(Default, Debug)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize, Default)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<String>,
}

impl ErrorBody {
    /// The most specific code: the first detail's, else the top-level one.
    fn code(&self) -> Option<String> {
        self.details
            .iter()
            .find_map(|d| d.code.clone())
            .or_else(|| self.code.clone())
    }
}

pub struct Api {
    http: reqwest::Client,
    base: String,
    tokens: TokenSource,
    general: RateLimiter,
    activities: RateLimiter,
    in_flight: Semaphore,
    cfg: RequestConfig,
    pub stats: Stats,
}

/// The path of a URL for messages: no host, no query (cursors are long and opaque).
pub fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) => url.split('?').next().unwrap_or(url).to_string(),
    }
}

impl Api {
    pub fn new(
        http: reqwest::Client,
        api_base: &str,
        tokens: TokenSource,
        cfg: RequestConfig,
    ) -> Self {
        Api {
            http,
            base: api_base.trim_end_matches('/').to_string(),
            tokens,
            general: RateLimiter::new(cfg.max_rps),
            activities: RateLimiter::new(cfg.activities_rps.min(cfg.max_rps)),
            in_flight: Semaphore::new(cfg.concurrency.max(1)),
            cfg,
            stats: Stats::default(),
        }
    }

    /// The API base, e.g. `https://api.pingone.com/v1`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn token_requests(&self) -> u64 {
        self.tokens.requests()
    }

    pub fn concurrency(&self) -> usize {
        self.cfg.concurrency.max(1)
    }

    pub fn max_rps(&self) -> f64 {
        self.cfg.max_rps
    }

    /// Makes sure the credentials work before anything else is requested.
    pub async fn sign_in(&self) -> Result<(), RequestError> {
        self.tokens.bearer().await?;
        Ok(())
    }

    /// GETs `url` (absolute) and parses the JSON body. `retry_denied`: this collection already
    /// answered successfully, so a `403` is load, not a missing permission.
    pub async fn get(
        &self,
        url: &str,
        group: RateGroup,
        retry_denied: bool,
    ) -> Result<serde_json::Value, RequestError> {
        let path = path_of(url);
        let mut attempt: u32 = 0;
        let mut timeouts: u32 = 0;
        let mut refreshed = false;
        loop {
            let waited = std::time::Instant::now();
            match group {
                RateGroup::General => self.general.acquire().await,
                RateGroup::Activities => self.activities.acquire().await,
            }
            let waited = waited.elapsed();
            if waited >= Duration::from_millis(50) {
                tracing::debug!(path = %path, wait_ms = waited.as_millis() as u64, "rate limit wait");
            }
            let outcome = {
                let _permit =
                    self.in_flight
                        .acquire()
                        .await
                        .map_err(|_| RequestError::Connect {
                            path: path.clone(),
                            message: "request path closed".into(),
                        })?;
                let bearer = self.tokens.bearer().await?;
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                let started = std::time::Instant::now();
                let sent = self
                    .http
                    .get(url)
                    .bearer_auth(bearer.token.expose_secret())
                    .header(
                        reqwest::header::ACCEPT,
                        "application/json, application/hal+json",
                    )
                    .send()
                    .await;
                match sent {
                    Err(e) => {
                        let why = describe_reqwest(&e);
                        tracing::info!(method = "GET", path = %path, attempt, ms = started.elapsed().as_millis() as u64, "failed: {why}");
                        if e.is_timeout() {
                            Outcome::TimedOut
                        } else {
                            Outcome::Retry {
                                after: None,
                                last: format!("connection error: {why}"),
                            }
                        }
                    }
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        tracing::info!(method = "GET", path = %path, status, attempt, ms = started.elapsed().as_millis() as u64, "request");
                        let retry_after = resp
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        match resp.bytes().await {
                            Err(e) if e.is_timeout() => Outcome::TimedOut,
                            Err(e) => Outcome::Retry {
                                after: None,
                                last: format!(
                                    "the connection broke while reading the body (HTTP {status}): {}",
                                    describe_reqwest(&e)
                                ),
                            },
                            Ok(body) => {
                                self.classify(
                                    &path,
                                    status,
                                    retry_after,
                                    &body,
                                    retry_denied,
                                    bearer.generation,
                                    &mut refreshed,
                                )
                                .await
                            }
                        }
                    }
                }
            };
            match outcome {
                Outcome::Done(v) => return Ok(v),
                Outcome::Fail(e) => return Err(e),
                Outcome::Again => continue,
                Outcome::TimedOut => {
                    attempt += 1;
                    timeouts += 1;
                    if timeouts > MAX_TIMEOUT_RETRIES.min(self.cfg.max_retries)
                        || attempt > self.cfg.max_retries
                    {
                        return Err(RequestError::TimedOut {
                            path,
                            timeout: self.cfg.timeout,
                            attempts: attempt,
                        });
                    }
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    let delay = self.backoff(attempt, None);
                    tracing::debug!(path = %path, attempt, delay_ms = delay.as_millis() as u64, "retrying: timed out");
                    tokio::time::sleep(delay).await;
                }
                Outcome::Retry { after, last } => {
                    attempt += 1;
                    if attempt > self.cfg.max_retries {
                        return Err(RequestError::Exhausted {
                            path,
                            attempts: attempt,
                            last,
                        });
                    }
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    if last.starts_with("HTTP 429") {
                        let limiter = match group {
                            RateGroup::General => &self.general,
                            RateGroup::Activities => &self.activities,
                        };
                        if let Some(rate) = limiter.slow_down().await {
                            tracing::debug!(
                                "throttled by the server: client rate lowered to {rate:.1} requests/s"
                            );
                        }
                    }
                    let delay = self.backoff(attempt, after);
                    tracing::debug!(path = %path, attempt, delay_ms = delay.as_millis() as u64, "retrying: {last}");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn classify(
        &self,
        path: &str,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
        retry_denied: bool,
        generation: u64,
        refreshed: &mut bool,
    ) -> Outcome {
        if (200..300).contains(&status) {
            return match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(v) => Outcome::Done(v),
                Err(e) => Outcome::Fail(RequestError::Malformed {
                    path: path.to_string(),
                    message: e.to_string(),
                }),
            };
        }
        let err: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let code = err.code();
        match status {
            401 if !*refreshed
                && matches!(
                    code.as_deref(),
                    None | Some("INVALID_TOKEN" | "ACCESS_FAILED")
                ) =>
            {
                // Expired or revoked token: get a new one, once per request.
                *refreshed = true;
                self.tokens.invalidate(generation).await;
                Outcome::Again
            }
            429 | 502 | 503 | 504 => Outcome::Retry {
                after: retry_after,
                last: format!(
                    "HTTP {status}{}",
                    code.map(|c| format!(" {c}")).unwrap_or_default()
                ),
            },
            403 if retry_denied => Outcome::Retry {
                after: retry_after,
                last: format!(
                    "HTTP 403{} on a collection that answered before",
                    code.map(|c| format!(" {c}")).unwrap_or_default()
                ),
            },
            _ => Outcome::Fail(RequestError::Status {
                path: path.to_string(),
                status,
                code,
            }),
        }
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let jitter = jitter_fraction();
        match retry_after {
            // The server said when; add a little jitter so parallel requests do not return at once.
            Some(after) => after + self.cfg.retry_base.mul_f64(jitter * 0.5),
            None => {
                let exp = self
                    .cfg
                    .retry_base
                    .saturating_mul(1u32 << (attempt - 1).min(10))
                    .min(Duration::from_secs(30));
                exp.mul_f64(0.5 + 0.5 * jitter)
            }
        }
    }
}

enum Outcome {
    Done(serde_json::Value),
    Fail(RequestError),
    /// Repeat at once (new token), not counted as a retry.
    Again,
    /// No answer (or not all of it) within the request timeout.
    TimedOut,
    Retry {
        after: Option<Duration>,
        last: String,
    },
}

/// A number in `[0, 1)` that differs between calls; jitter needs no cryptographic quality.
fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A transport error with its whole cause chain (DNS, refused, TLS, proxy, timeout), without the
/// URL (it may carry a paging cursor): `error sending request: client error (Connect): tcp
/// connect error: Connection refused (os error 111)`.
pub fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out: "
    } else if e.is_connect() {
        "cannot connect: "
    } else {
        ""
    };
    let mut top = e.to_string();
    if let Some(u) = e.url() {
        top = top.replace(&format!(" for url ({u})"), "");
    }
    let mut out = format!("{kind}{top}");
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        let m = c.to_string();
        if !out.contains(&m) {
            out.push_str(": ");
            out.push_str(&m);
        }
        cur = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn throttling_lowers_the_rate_once_per_second() {
        let l = RateLimiter::new(100.0);
        let r = l.slow_down().await.expect("first slowdown applies");
        assert!((r - 80.0).abs() < 0.01, "{r}");
        assert_eq!(l.slow_down().await, None, "a burst of 429s counts once");
        assert!((l.rate().await - 80.0).abs() < 0.01);
        let slow = RateLimiter::new(1.0);
        assert!(
            (slow.slow_down().await.unwrap() - 1.0).abs() < 0.01,
            "never below 1 rps"
        );
    }

    #[test]
    fn connect_timeout_is_the_request_timeout_at_most_20_s() {
        let mut c = RequestConfig::default();
        assert_eq!(c.connect_timeout(), Duration::from_secs(20));
        c.timeout = Duration::from_secs(2);
        assert_eq!(c.connect_timeout(), Duration::from_secs(2));
    }

    #[test]
    fn jitter_is_a_fraction() {
        for _ in 0..100 {
            let j = jitter_fraction();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn error_code_prefers_details() {
        let b: ErrorBody = serde_json::from_str(
            r#"{"code":"ACCESS_FAILED","details":[{"code":"INSUFFICIENT_PERMISSIONS"}]}"#,
        )
        .unwrap();
        assert_eq!(b.code().as_deref(), Some("INSUFFICIENT_PERMISSIONS"));
        assert_eq!(
            path_of("https://h/v1/environments/e/users?cursor=abc"),
            "/v1/environments/e/users"
        );
    }
}
