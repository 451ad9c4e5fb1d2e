//! JSON documents for programs: pretty-printed, newline-terminated, and an error (never an empty
//! or partial document) when serialization fails.

use super::output::OutputError;

/// `value` as pretty JSON with a final newline. `what` names the document in the error.
pub fn pretty_named<T: serde::Serialize + ?Sized>(
    value: &T,
    what: &'static str,
) -> Result<Vec<u8>, OutputError> {
    let mut v = serde_json::to_vec_pretty(value)
        .map_err(|source| OutputError::Serialize { what, source })?;
    v.push(b'\n');
    Ok(v)
}

/// [`pretty_named`] for a command's JSON output.
pub fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, OutputError> {
    pretty_named(value, "the JSON output")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_map_with_non_string_keys_is_an_error_not_an_empty_document() {
        let mut m = std::collections::BTreeMap::new();
        m.insert((1, 2), 3);
        let e = super::pretty_named(&m, "the test map").unwrap_err();
        assert!(e.to_string().contains("the test map"), "{e}");
        assert_eq!(super::pretty(&[1, 2]).unwrap(), b"[\n  1,\n  2\n]\n");
    }
}
