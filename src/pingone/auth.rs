//! The worker app's access token (client credentials, API.md section 1.2).
//!
//! Owns the client secret (a [`SecretString`], exposed only while building the token request) and
//! the current token. The client authenticates with `client_secret_basic` first and, when the
//! token endpoint answers `401`/`invalid_client`, once with `client_secret_post`; the method that
//! worked is remembered. Tokens are refreshed shortly before they expire, and on demand when the
//! API says `INVALID_TOKEN` (the generation counter makes concurrent callers refresh only once).

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::AuthError;

const METHOD_UNKNOWN: u8 = 0;
const METHOD_BASIC: u8 = 1;
const METHOD_POST: u8 = 2;

/// A token and the generation it belongs to.
#[derive(Clone)]
pub struct Bearer {
    pub token: SecretString,
    pub generation: u64,
}

struct Current {
    token: SecretString,
    expires: Instant,
    lifetime: Duration,
    generation: u64,
}

pub struct TokenSource {
    http: reqwest::Client,
    url: String,
    client_id: String,
    secret: SecretString,
    method: AtomicU8,
    current: Mutex<Option<Current>>,
    generation: std::sync::atomic::AtomicU64,
    requests: std::sync::atomic::AtomicU64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl TokenSource {
    /// `auth_base` is e.g. `https://auth.pingone.com`; the token is at `{auth_base}/{env}/as/token`.
    pub fn new(
        http: reqwest::Client,
        auth_base: &str,
        environment_id: &str,
        client_id: &str,
        secret: SecretString,
    ) -> Self {
        TokenSource {
            http,
            url: format!(
                "{}/{}/as/token",
                auth_base.trim_end_matches('/'),
                environment_id
            ),
            client_id: client_id.to_string(),
            secret,
            method: AtomicU8::new(METHOD_UNKNOWN),
            current: Mutex::new(None),
            generation: Default::default(),
            requests: Default::default(),
        }
    }

    /// Token requests made so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A valid token, fetching a new one when there is none or it is about to expire.
    pub async fn bearer(&self) -> Result<Bearer, AuthError> {
        let mut cur = self.current.lock().await;
        if let Some(c) = cur.as_ref() {
            // Refresh a minute early, or at half-life for short-lived tokens.
            let margin = (c.lifetime / 2).min(Duration::from_secs(60));
            if Instant::now() + margin < c.expires {
                return Ok(Bearer {
                    token: c.token.clone(),
                    generation: c.generation,
                });
            }
        }
        let (token, lifetime) = self.fetch().await?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        *cur = Some(Current {
            token: token.clone(),
            expires: Instant::now() + lifetime,
            lifetime,
            generation,
        });
        Ok(Bearer { token, generation })
    }

    /// The API rejected the token of `generation`: drop it unless someone already replaced it.
    pub async fn invalidate(&self, generation: u64) {
        let mut cur = self.current.lock().await;
        if cur.as_ref().is_some_and(|c| c.generation == generation) {
            *cur = None;
        }
    }

    async fn fetch(&self) -> Result<(SecretString, Duration), AuthError> {
        let method = self.method.load(Ordering::Relaxed);
        if method == METHOD_POST {
            return self.request(false).await;
        }
        match self.request(true).await {
            Ok(t) => {
                self.method.store(METHOD_BASIC, Ordering::Relaxed);
                Ok(t)
            }
            Err(AuthError::Rejected { status, error, .. })
                if method == METHOD_UNKNOWN
                    && (status == 401 || error.starts_with("invalid_client")) =>
            {
                tracing::debug!(
                    "client_secret_basic rejected ({error}); retrying with client_secret_post"
                );
                let t = self.request(false).await?;
                self.method.store(METHOD_POST, Ordering::Relaxed);
                Ok(t)
            }
            Err(e) => Err(e),
        }
    }

    async fn request(&self, basic: bool) -> Result<(SecretString, Duration), AuthError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        let mut req = self.http.post(&self.url);
        if basic {
            req = req.basic_auth(&self.client_id, Some(self.secret.expose_secret()));
        } else {
            form.push(("client_id", &self.client_id));
            form.push(("client_secret", self.secret.expose_secret()));
        }
        let resp = req
            .form(&form)
            .send()
            .await
            .map_err(|e| AuthError::Connect {
                url: self.url.clone(),
                message: self.scrub(&super::request::describe_reqwest(&e)),
            })?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| AuthError::Connect {
            url: self.url.clone(),
            message: self.scrub(&super::request::describe_reqwest(&e)),
        })?;
        if !status.is_success() {
            let err: OAuthError = serde_json::from_slice(&body).unwrap_or_default();
            let mut text = err.error.unwrap_or_else(|| "no OAuth error code".into());
            if let Some(d) = err.error_description {
                text.push_str(": ");
                text.push_str(&d);
            }
            return Err(AuthError::Rejected {
                url: self.url.clone(),
                status: status.as_u16(),
                error: self.scrub(&text),
            });
        }
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| AuthError::Malformed {
            url: self.url.clone(),
            message: e.to_string(),
        })?;
        let lifetime = Duration::from_secs(t.expires_in.unwrap_or(3600).max(1));
        Ok((SecretString::from(t.access_token), lifetime))
    }

    /// Removes the secret from text that came from the network, just in case a server echoes it.
    fn scrub(&self, s: &str) -> String {
        let secret = self.secret.expose_secret();
        if secret.is_empty() {
            s.to_string()
        } else {
            s.replace(secret, "[redacted]")
        }
    }
}
