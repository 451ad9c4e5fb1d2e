//! HAL collections: follow `_links.next.href` until it is absent (API.md section 2.2).
//!
//! The server decides page sizes, may return short pages with a `next` link, may omit
//! `_embedded` on an empty page, and names the embedded array after the resource (with one
//! known ambiguity: group nesting lists are `groups` or `groupMemberships`). So the pager never
//! stops on a short page, accepts any single `_embedded` key, and re-appends the query parameters
//! that shape the result (`include`, `filter`, `expand`, `limit`) when a `next` link dropped them.

use serde_json::Value;
use url::Url;

use super::error::RequestError;
use super::request::{Api, RateGroup, path_of};
use crate::export::WriteError;

/// Parameters a `next` link must keep for the next page to mean the same thing.
const STICKY: &[&str] = &["include", "filter", "expand", "limit"];

/// A guard against a server that links a page to itself forever.
const MAX_PAGES: u64 = 10_000_000;

#[derive(Debug, thiserror::Error)]
pub enum PagingError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// One list request: path below the API base and its query.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub path: String,
    pub params: Vec<(String, String)>,
    pub group: RateGroup,
}

impl ListQuery {
    pub fn new(path: impl Into<String>) -> Self {
        ListQuery {
            path: path.into(),
            params: Vec::new(),
            group: RateGroup::General,
        }
    }

    pub fn param(mut self, k: &str, v: impl Into<String>) -> Self {
        self.params.push((k.to_string(), v.into()));
        self
    }

    pub fn activities(mut self) -> Self {
        self.group = RateGroup::Activities;
        self
    }

    pub fn url(&self, base: &str) -> Result<Url, RequestError> {
        let mut u =
            Url::parse(&format!("{base}{}", self.path)).map_err(|e| RequestError::Paging {
                path: self.path.clone(),
                message: format!("invalid URL: {e}"),
            })?;
        if !self.params.is_empty() {
            u.query_pairs_mut().extend_pairs(self.params.iter());
        }
        Ok(u)
    }
}

/// What paging a collection cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paged {
    pub pages: u64,
    pub items: u64,
}

/// Pages through `q`, calling `on_page` with the items of every page in order.
/// `retry_denied` applies to the first page; later pages always retry a `403` (the collection
/// answered already).
pub async fn for_each_page(
    api: &Api,
    q: &ListQuery,
    retry_denied: bool,
    mut on_page: impl FnMut(Vec<Value>) -> Result<(), WriteError>,
) -> Result<Paged, PagingError> {
    let mut url = q.url(api.base())?;
    let mut done = Paged::default();
    loop {
        let body = api
            .get(url.as_str(), q.group, retry_denied || done.pages > 0)
            .await?;
        let items = embedded_items(&body).map_err(|message| RequestError::Malformed {
            path: path_of(url.as_str()),
            message,
        })?;
        done.pages += 1;
        done.items += items.len() as u64;
        let next = next_link(&body);
        on_page(items)?;
        match next {
            None => return Ok(done),
            Some(href) => {
                let next = resolve_next(&url, &href, &q.params).map_err(|message| {
                    RequestError::Paging {
                        path: path_of(url.as_str()),
                        message,
                    }
                })?;
                if next == url || done.pages >= MAX_PAGES {
                    return Err(RequestError::Paging {
                        path: path_of(url.as_str()),
                        message: "the `next` link does not advance".into(),
                    }
                    .into());
                }
                url = next;
            }
        }
    }
}

/// Collects every item of `q`.
pub async fn collect_all(
    api: &Api,
    q: &ListQuery,
    retry_denied: bool,
) -> Result<Vec<Value>, PagingError> {
    let mut all = Vec::new();
    for_each_page(api, q, retry_denied, |items| {
        all.extend(items);
        Ok(())
    })
    .await?;
    Ok(all)
}

/// The items of one page: the array under the single `_embedded` key (none on an empty page).
pub fn embedded_items(body: &Value) -> Result<Vec<Value>, String> {
    let Some(obj) = body.as_object() else {
        return Err("the body is not a JSON object".into());
    };
    let Some(emb) = obj.get("_embedded") else {
        return Ok(Vec::new());
    };
    let Some(emb) = emb.as_object() else {
        return Err("`_embedded` is not an object".into());
    };
    let arrays: Vec<&Vec<Value>> = emb.values().filter_map(Value::as_array).collect();
    match arrays.len() {
        0 => Ok(Vec::new()),
        1 => {
            let items = arrays[0];
            if let Some(bad) = items.iter().position(|v| !v.is_object()) {
                return Err(format!("`_embedded` item {bad} is not an object"));
            }
            Ok(items.clone())
        }
        _ => Err(format!(
            "`_embedded` has several arrays ({})",
            emb.keys().cloned().collect::<Vec<_>>().join(", ")
        )),
    }
}

fn next_link(body: &Value) -> Option<String> {
    body.pointer("/_links/next/href")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The next page's URL: the `next` href verbatim (relative hrefs resolved against the current
/// page), plus any sticky parameter of the original query it lost.
pub fn resolve_next(current: &Url, href: &str, wanted: &[(String, String)]) -> Result<Url, String> {
    let mut next = current
        .join(href)
        .map_err(|e| format!("invalid `next` link: {e}"))?;
    // The bearer token goes with every page: never to another host.
    if next.origin() != current.origin() {
        return Err(format!(
            "the `next` link `{href}` leaves the API host `{}`",
            current.origin().ascii_serialization()
        ));
    }
    let have: Vec<String> = next.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let missing: Vec<&(String, String)> = wanted
        .iter()
        .filter(|(k, _)| STICKY.contains(&k.as_str()) && !have.iter().any(|h| h == k))
        .collect();
    if !missing.is_empty() {
        next.query_pairs_mut()
            .extend_pairs(missing.iter().map(|(k, v)| (k, v)));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_accepts_any_single_key_and_missing() {
        let b = json!({"_embedded": {"groupMemberships": [{"id": "g"}]}});
        assert_eq!(embedded_items(&b).unwrap().len(), 1);
        let b = json!({"_embedded": {"groups": [{"id": "g"}, {"id": "h"}]}});
        assert_eq!(embedded_items(&b).unwrap().len(), 2);
        assert!(embedded_items(&json!({"count": 0})).unwrap().is_empty());
        assert!(embedded_items(&json!([1])).is_err());
        assert!(embedded_items(&json!({"_embedded": {"a": [], "b": []}})).is_err());
    }

    #[test]
    fn next_link_to_another_host_is_refused() {
        let cur = Url::parse("https://api.pingone.com/v1/environments/e/users?limit=2").unwrap();
        for href in [
            "https://evil.example/v1/environments/e/users?cursor=a",
            "//evil.example/x",
            "http://api.pingone.com/v1/environments/e/users",
        ] {
            let e = resolve_next(&cur, href, &[]).unwrap_err();
            assert!(e.contains("leaves the API host"), "{href}: {e}");
        }
        assert!(resolve_next(&cur, "/v1/environments/e/users?cursor=a", &[]).is_ok());
    }

    #[test]
    fn next_link_gets_lost_params_back() {
        let cur = Url::parse("https://h/v1/environments/e/users?limit=2&include=memberOfGroupIDs")
            .unwrap();
        let wanted = vec![
            ("limit".to_string(), "2".to_string()),
            ("include".to_string(), "memberOfGroupIDs".to_string()),
        ];
        let n = resolve_next(
            &cur,
            "https://h/v1/environments/e/users?limit=2&cursor=abc",
            &wanted,
        )
        .unwrap();
        let q: Vec<(String, String)> = n.query_pairs().map(|(a, b)| (a.into(), b.into())).collect();
        assert!(q.contains(&("cursor".into(), "abc".into())));
        assert!(q.contains(&("include".into(), "memberOfGroupIDs".into())));
        assert_eq!(q.iter().filter(|(k, _)| k == "limit").count(), 1);
    }
}
