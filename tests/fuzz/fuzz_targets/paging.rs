//! The API page parser and pager (`src/pingone/paging.rs`): the first byte picks a list, the
//! rest is a sequence of response bodies separated by NUL bytes, read in order as if each were
//! the answer to the pager's current URL. Every page either gives its items and the next URL
//! (which keeps the query parameters that shape the list and was not read before), or an
//! error naming the path; never a panic, never a loop.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use p1graph::pingone::paging::{ListQuery, Pager};
use serde_json::Value;

const LISTS: &[&str] = &[
    "/environments",
    "/roles",
    "/environments/e/users",
    "/environments/e/groups/g/memberOfGroups",
    "/environments/e/users/u/roleAssignments",
    "/environments/e/activities",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let q = ListQuery::new(LISTS[usize::from(pick) % LISTS.len()])
        .param("limit", "100")
        .param("filter", "recordedat ge \"x\"")
        .param("cursor", "c0");
    let mut pager = Pager::new(&q, "https://api.pingone.test/v1").expect("a valid first URL");
    let mut seen = HashSet::new();
    for (n, chunk) in rest.split(|&b| b == 0).enumerate() {
        let Ok(body) = serde_json::from_slice::<Value>(chunk) else {
            return;
        };
        seen.insert(pager.url().to_string());
        match pager.read(&body) {
            Err(e) => {
                assert!(!e.to_string().is_empty());
                return;
            }
            Ok((items, more)) => {
                assert!(items.iter().all(Value::is_object));
                assert_eq!(pager.paged().pages, n as u64 + 1);
                if !more {
                    return;
                }
                let next = pager.url();
                assert!(!seen.contains(next.as_str()), "{next} read before");
                for sticky in ["limit", "filter"] {
                    assert!(
                        next.query_pairs().any(|(k, _)| k == sticky),
                        "{next} lost {sticky}"
                    );
                }
            }
        }
    }
});
