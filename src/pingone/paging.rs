//! HAL collections: follow `_links.next.href` until it is absent (API.md section 2.2).
//!
//! The server decides page sizes, may return short pages with a `next` link, may omit
//! `_embedded` on an empty page, and names the embedded array after the resource (with one
//! known ambiguity: group nesting lists are `groups` or `groupMemberships`). So the pager never
//! stops on a short page, accepts any single `_embedded` key (and, when there are several
//! arrays, the one named after the collection), re-appends the query parameters that shape the
//! result (`include`, `filter`, `expand`, `limit`) when a `next` link dropped them, and refuses
//! a `next` link back to any page it already read.

use rustc_hash::FxHashSet;
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
    let mut pager = Pager::new(q, api.base())?;
    loop {
        let first = pager.paged().pages == 0;
        let body = api
            .get(pager.url().as_str(), q.group, retry_denied || !first)
            .await?;
        let (items, more) = pager.read(&body)?;
        on_page(items)?;
        if !more {
            return Ok(pager.paged());
        }
    }
}

/// The state of one paged list, without the I/O: which URL to fetch next, which were read, what
/// was counted. [`for_each_page`] drives it with real requests; tests and the fuzz targets
/// (`tests/fuzz`) drive it with canned bodies.
#[derive(Debug)]
pub struct Pager {
    url: Url,
    params: Vec<(String, String)>,
    /// Every URL read so far: a `next` link back to any of them would loop forever (a server
    /// alternating between two cursors, not only one linking a page to itself).
    seen: FxHashSet<String>,
    done: Paged,
}

impl Pager {
    /// A pager at the first page of `q` below the API base `base`.
    pub fn new(q: &ListQuery, base: &str) -> Result<Pager, RequestError> {
        Ok(Pager {
            url: q.url(base)?,
            params: q.params.clone(),
            seen: FxHashSet::default(),
            done: Paged::default(),
        })
    }

    /// The URL of the page to fetch now.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Pages and items read so far.
    pub fn paged(&self) -> Paged {
        self.done
    }

    /// Reads the body fetched from [`Pager::url`]: returns its items, and whether another page
    /// follows (then [`Pager::url`] is that page's URL).
    ///
    /// Errors: a body that is not a list page (`Malformed`), and a `next` link that is invalid,
    /// goes back to a page already read, or exceeds [`MAX_PAGES`] (`Paging`).
    pub fn read(&mut self, body: &Value) -> Result<(Vec<Value>, bool), RequestError> {
        let names = collection_keys(&self.url);
        let items = page_items(body, &names).map_err(|message| RequestError::Malformed {
            path: path_of(self.url.as_str()),
            message,
        })?;
        self.done.pages += 1;
        self.done.items += items.len() as u64;
        let Some(href) = next_link(body) else {
            return Ok((items, false));
        };
        let paging = |message: String| RequestError::Paging {
            path: path_of(self.url.as_str()),
            message,
        };
        let next = resolve_next(&self.url, &href, &self.params).map_err(paging)?;
        self.seen.insert(self.url.as_str().to_string());
        if self.seen.contains(next.as_str()) || self.done.pages >= MAX_PAGES {
            return Err(paging("the `next` link does not advance".into()));
        }
        self.url = next;
        Ok((items, true))
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
    page_items(body, &[])
}

/// The `_embedded` keys that may hold the items of the list at `url`: the collection is the
/// last path segment (`users` for `/environments/E/users`), except group nesting lists
/// (`…/memberOfGroups`), whose key is `groupMemberships` or `groups` (API.md section 2.1).
pub fn collection_keys(url: &Url) -> Vec<&str> {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("");
    if last == "memberOfGroups" {
        vec!["groupMemberships", "groups"]
    } else {
        vec![last]
    }
}

/// The items of one page. One array under `_embedded` is the list whatever its key; when there
/// are several (PingOne's OpenAPI describes list responses that way), the first of `names`
/// that is an array is the list. No `_embedded`, or no array in it, is an empty page.
pub fn page_items(body: &Value, names: &[&str]) -> Result<Vec<Value>, String> {
    let Some(obj) = body.as_object() else {
        return Err("the body is not a JSON object".into());
    };
    let Some(emb) = obj.get("_embedded") else {
        return Ok(Vec::new());
    };
    let Some(emb) = emb.as_object() else {
        return Err("`_embedded` is not an object".into());
    };
    let arrays: Vec<(&String, &Vec<Value>)> = emb
        .iter()
        .filter_map(|(k, v)| v.as_array().map(|a| (k, a)))
        .collect();
    let (key, items) = match arrays.as_slice() {
        [] => return Ok(Vec::new()),
        [one] => *one,
        several => {
            match names
                .iter()
                .find_map(|n| several.iter().find(|(k, _)| k.as_str() == *n))
            {
                Some(named) => *named,
                None => {
                    let keys: Vec<&str> = several.iter().map(|(k, _)| k.as_str()).collect();
                    let wanted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                    let none = if wanted.is_empty() {
                        String::new()
                    } else {
                        format!(" and none is named {}", wanted.join(" or "))
                    };
                    return Err(format!(
                        "`_embedded` has several arrays ({}){none}",
                        keys.join(", ")
                    ));
                }
            }
        }
    };
    if let Some(bad) = items.iter().position(|v| !v.is_object()) {
        return Err(format!("`_embedded.{key}` item {bad} is not an object"));
    }
    Ok(items.clone())
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

    #[test]
    fn several_embedded_arrays_take_the_one_named_after_the_collection() {
        let users = Url::parse("https://h/v1/environments/e/users?limit=2").unwrap();
        let b = json!({"_embedded": {
            "populations": [{"id": "p"}],
            "users": [{"id": "u1"}, {"id": "u2"}],
            "groups": [{"id": "g"}]
        }});
        let items = page_items(&b, &collection_keys(&users)).unwrap();
        let ids: Vec<&str> = items.iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["u1", "u2"]);
        // Group nesting lists: `groupMemberships` first, then `groups`.
        let nesting = Url::parse("https://h/v1/environments/e/groups/g/memberOfGroups").unwrap();
        let b = json!({"_embedded": {"groups": [{"id": "g1"}], "x": []}});
        assert_eq!(
            page_items(&b, &collection_keys(&nesting)).unwrap()[0]["id"],
            "g1"
        );
        let b = json!({"_embedded": {"groups": [{"id": "g1"}], "groupMemberships": [{"id": "m"}]}});
        assert_eq!(
            page_items(&b, &collection_keys(&nesting)).unwrap()[0]["id"],
            "m"
        );
        // None named after the collection: an error that names the keys and the wanted one.
        let b = json!({"_embedded": {"a": [], "b": []}});
        let e = page_items(&b, &collection_keys(&users)).unwrap_err();
        assert!(e.contains("(a, b)") && e.contains("`users`"), "{e}");
        // The named array's items must be objects, like a single array's.
        let b = json!({"_embedded": {"users": [1], "groups": []}});
        let e = page_items(&b, &["users"]).unwrap_err();
        assert_eq!(e, "`_embedded.users` item 0 is not an object");
    }

    fn pager(path: &str) -> Pager {
        let q = ListQuery::new(path).param("limit", "2");
        Pager::new(&q, "https://h/v1").unwrap()
    }

    #[test]
    fn pager_follows_next_and_keeps_the_limit() {
        let mut p = pager("/environments/e/users");
        let (items, more) = p
            .read(
                &json!({"_embedded": {"users": [{"id": "u1"}, {"id": "u2"}]},
                "_links": {"next": {"href": "/v1/environments/e/users?cursor=c1"}}}),
            )
            .unwrap();
        assert_eq!((items.len(), more), (2, true));
        assert_eq!(
            p.url().as_str(),
            "https://h/v1/environments/e/users?cursor=c1&limit=2"
        );
        let (items, more) = p
            .read(&json!({"_embedded": {"users": [{"id": "u3"}]}}))
            .unwrap();
        assert_eq!((items.len(), more), (1, false));
        assert_eq!(p.paged(), Paged { pages: 2, items: 3 });
    }

    #[test]
    fn pager_refuses_a_next_link_back_to_any_page_read() {
        // A page linking to itself.
        let mut p = pager("/environments/e/users");
        let e = p
            .read(
                &json!({"_links": {"next": {"href": "https://h/v1/environments/e/users?limit=2"}}}),
            )
            .unwrap_err();
        assert!(e.to_string().contains("does not advance"), "{e}");
        // Two cursors alternating: the third page links back to the first.
        let mut p = pager("/environments/e/users");
        let a = json!({"_links": {"next": {"href": "?limit=2&cursor=b"}}});
        let b = json!({"_links": {"next": {"href": "?limit=2&cursor=a"}}});
        assert!(p.read(&a).unwrap().1);
        assert!(p.read(&b).unwrap().1);
        let e = p.read(&a).unwrap_err();
        assert!(e.to_string().contains("does not advance"), "{e}");
        assert_eq!(p.paged().pages, 3);
    }
}
