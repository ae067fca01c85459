//! Request parameters as Mastodon (Rails) reads them: from the query
//! string, a form body, a multipart body or a JSON body, merged into one
//! JSON object. Apps use all of these, often for the same endpoint.
//!
//! Form keys follow Rails' bracket notation: `a[]=x` appends to a list,
//! `source[privacy]=public` nests, `fields_attributes[0][name]=…` makes an
//! object keyed by index and `fields_attributes[][name]=…` a list of
//! objects. Query parameters win over body parameters, as in Rails.
//!
//! Form values arrive as strings, so the accessors are lenient: `bool`
//! takes `true`/`1`/`on`, `list` takes a string, an array or an
//! index-keyed object.

// Keys and values come from anyone who can reach the API: no indexing.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

use crate::http::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use serde_json::{Map, Value};

/// Most multipart text fields are short; this bounds one part so a
/// stray file part can't fill memory (files are read elsewhere).
pub const MAX_MULTIPART_TEXT_BYTES: usize = 64 * 1024;

/// Deepest bracket nesting a key may have (`a[b][c]` is depth 3). Rails
/// (through Rack) stops at 32 too; Mastodon's deepest parameters are
/// three levels. Building the nested object recurses once per level, so
/// this also bounds the stack a key can use.
pub const MAX_KEY_DEPTH: usize = 32;

/// Most parameters one request may carry, query and body together. The
/// longest Mastodon forms (profile fields, filters with keywords, polls)
/// stay well under a hundred.
pub const MAX_PARAMS: usize = 1000;

/// Longest parameter name, brackets included.
pub const MAX_KEY_BYTES: usize = 512;

/// A multipart body that could not be read keeps the status axum found:
/// one past the body limit (a file part is drained to reach the fields
/// after it) is 413, as Mastodon answers an oversized upload, so the app
/// says "too large" rather than "malformed".
fn multipart_error(status: axum::http::StatusCode, e: impl std::fmt::Display) -> ApiError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "the request body is too large; send smaller files or fewer of them",
        )
    } else {
        ApiError::bad_request(format!("the multipart body is malformed: {e}"))
    }
}

#[derive(Debug, Default, Clone)]
pub struct Params(pub Map<String, Value>);

/// One file part of a multipart body, kept whole: its size is bounded by
/// the route's body limit, and the endpoint checks each file's own limit.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field (`avatar`, `header`).
    pub field: String,
    pub file_name: String,
    pub bytes: Bytes,
}

/// Parameters plus the files of a multipart body, for the endpoints that
/// take files among other fields (`update_credentials`). `Params` alone
/// skips file parts.
#[derive(Debug, Default)]
pub struct ParamsWithFiles {
    pub params: Params,
    pub files: Vec<UploadedFile>,
}

impl ParamsWithFiles {
    /// The file sent as `field`, if any (the last, when sent twice).
    pub fn file(&self, field: &str) -> Option<&UploadedFile> {
        self.files.iter().rev().find(|f| f.field == field)
    }
}

impl<S: Send + Sync> FromRequest<S> for ParamsWithFiles {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let mut files = Vec::new();
        let params = read(req, state, Some(&mut files)).await?;
        Ok(ParamsWithFiles { params, files })
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read(req, state, None).await
    }
}

/// Reads every parameter; file parts go to `files` when given, else are
/// skipped unread.
async fn read<S: Send + Sync>(
    req: Request,
    state: &S,
    mut files: Option<&mut Vec<UploadedFile>>,
) -> Result<Params, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let query = req.uri().query().unwrap_or("").to_string();
    let mut map = Map::new();
    let mut count = 0usize;
    if content_type.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| multipart_error(e.status(), e))?;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| multipart_error(e.status(), e))?
        {
            let Some(name) = field.name().map(String::from) else {
                continue;
            };
            if let Some(file_name) = field.file_name().map(String::from) {
                // File uploads are handled by the endpoints that take them.
                if let Some(files) = files.as_deref_mut() {
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| multipart_error(e.status(), e))?;
                    files.push(UploadedFile {
                        field: name,
                        file_name,
                        bytes,
                    });
                }
                continue;
            }
            let bytes = field
                .bytes()
                .await
                .map_err(|e| multipart_error(e.status(), e))?;
            if bytes.len() > MAX_MULTIPART_TEXT_BYTES {
                return Err(ApiError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the field `{name}` is larger than {MAX_MULTIPART_TEXT_BYTES} bytes"),
                ));
            }
            insert_counted(
                &mut map,
                &mut count,
                &name,
                String::from_utf8_lossy(&bytes).into_owned(),
            )?;
        }
    } else {
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                e.status(),
                format!("the request body could not be read: {e}"),
            )
        })?;
        let is_json = content_type.starts_with("application/json")
            || content_type.contains("+json")
            || (content_type.is_empty() && body.first().is_some_and(|b| *b == b'{'));
        if is_json {
            if !body.iter().all(|b| b.is_ascii_whitespace()) {
                let v: Value = serde_json::from_slice(&body).map_err(|e| {
                    ApiError::bad_request(format!("the request body is not valid JSON: {e}"))
                })?;
                match v {
                    Value::Object(o) => map = o,
                    _ => {
                        return Err(ApiError::bad_request(
                            "the JSON request body must be an object of parameters",
                        ))
                    }
                }
            }
        } else {
            for (k, v) in url::form_urlencoded::parse(&body) {
                insert_counted(&mut map, &mut count, &k, v.into_owned())?;
            }
        }
    }
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        insert_counted(&mut map, &mut count, &k, v.into_owned())?;
    }
    Ok(Params(map))
}

/// Counts one more parameter against [`MAX_PARAMS`], then inserts it.
fn insert_counted(
    map: &mut Map<String, Value>,
    count: &mut usize,
    key: &str,
    value: String,
) -> Result<(), ApiError> {
    *count += 1;
    if *count > MAX_PARAMS {
        return Err(ApiError::bad_request(format!(
            "the request has more than {MAX_PARAMS} parameters"
        )));
    }
    insert_pair(map, key, value)
}

/// Splits `a[b][]` into `["a", "b", ""]`; refuses keys longer than
/// [`MAX_KEY_BYTES`] or nested deeper than [`MAX_KEY_DEPTH`]. A key whose
/// brackets don't pair up is taken whole, as a plain name.
fn key_path(key: &str) -> Result<Vec<&str>, ApiError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(ApiError::bad_request(format!(
            "a parameter name is longer than {MAX_KEY_BYTES} bytes"
        )));
    }
    let (head, mut rest) = match key.split_once('[') {
        Some((head, rest)) if key.ends_with(']') => (head, rest),
        _ => return Ok(vec![key]),
    };
    let mut path = vec![head];
    // `rest` is what follows an opening bracket.
    while let Some((part, after)) = rest.split_once(']') {
        if path.len() >= MAX_KEY_DEPTH {
            return Err(ApiError::bad_request(format!(
                "the parameter `{}…` is nested deeper than {MAX_KEY_DEPTH} levels",
                head.chars().take(40).collect::<String>()
            )));
        }
        path.push(part);
        match after.strip_prefix('[') {
            Some(next) => rest = next,
            None => break,
        }
    }
    Ok(path)
}

fn insert_pair(map: &mut Map<String, Value>, key: &str, value: String) -> Result<(), ApiError> {
    let path = key_path(key)?;
    if let Some((first, rest)) = path.split_first() {
        if !first.is_empty() {
            insert_path(map, first, rest, Value::String(value));
        }
    }
    Ok(())
}

/// Puts `value` at `key` followed by `path` inside `map`. Recurses once
/// per path element; [`key_path`] bounds the path to [`MAX_KEY_DEPTH`].
fn insert_path(map: &mut Map<String, Value>, key: &str, path: &[&str], value: Value) {
    let key = key.to_string();
    let Some((&next, after)) = path.split_first() else {
        map.insert(key, value);
        return;
    };
    if next.is_empty() {
        // A list: `a[]=x` appends; `a[][k]=x` fills the last object unless
        // it has `k` already (Rails' rule), else starts a new one.
        let slot = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        let Value::Array(list) = slot else {
            return;
        };
        let Some((&sub_key, sub_path)) = after.split_first() else {
            list.push(value);
            return;
        };
        let reuse = matches!(list.last(), Some(Value::Object(o)) if !o.contains_key(sub_key));
        if !reuse {
            list.push(Value::Object(Map::new()));
        }
        if let Some(Value::Object(o)) = list.last_mut() {
            insert_path(o, sub_key, sub_path, value);
        }
        return;
    }
    let slot = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(o) = slot {
        insert_path(o, next, after, value);
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn lenient_bool(key: &str, v: &Value) -> Result<Option<bool>, ApiError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::Number(n) => Ok(Some(n.as_f64() != Some(0.0))),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "yes" | "t" => Ok(Some(true)),
            "false" | "0" | "off" | "no" | "f" | "" => Ok(Some(false)),
            _ => Err(ApiError::unprocessable(format!(
                "`{key}` must be true or false, not `{s}`"
            ))),
        },
        _ => Err(ApiError::unprocessable(format!(
            "`{key}` must be true or false"
        ))),
    }
}

/// Values of an array, or of an object keyed by index (`a[0]`, `a[1]`) in
/// index order.
fn list_values(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => {
            let mut entries: Vec<(&String, &Value)> = o.iter().collect();
            entries.sort_by_key(|(k, _)| (k.parse::<u64>().unwrap_or(u64::MAX), k.to_string()));
            entries.into_iter().map(|(_, v)| v).collect()
        }
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

impl Params {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// A text parameter; numbers and booleans are given as text.
    pub fn str(&self, key: &str) -> Option<String> {
        self.get(key).and_then(scalar_string)
    }

    /// A text parameter inside a nested one: `source[privacy]`.
    pub fn nested_str(&self, outer: &str, key: &str) -> Option<String> {
        self.get(outer)
            .and_then(|o| o.get(key))
            .and_then(scalar_string)
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            Some(v) => lenient_bool(key, v),
            None => Ok(None),
        }
    }

    pub fn nested_bool(&self, outer: &str, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(outer).and_then(|o| o.get(key)) {
            Some(v) => lenient_bool(&format!("{outer}[{key}]"), v),
            None => Ok(None),
        }
    }

    /// A list parameter, from `key[]=…`, a JSON array, an index-keyed
    /// object or a single string.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                list_values(v)
                    .into_iter()
                    .filter_map(scalar_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A list of objects (`fields_attributes`), in order; `None` when the
    /// parameter is absent.
    pub fn objects(&self, key: &str) -> Option<Vec<Map<String, Value>>> {
        self.get(key).map(|v| {
            list_values(v)
                .into_iter()
                .filter_map(|o| o.as_object().cloned())
                .collect()
        })
    }
}

/// A record id from the URL path; anything that is not one is 404, as
/// for an id that does not exist.
pub fn path_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found("Record not found"))
}

#[cfg(test)]
// Tests index fixtures they just built.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(pairs: &[(&str, &str)]) -> Params {
        let mut map = Map::new();
        for (k, v) in pairs {
            insert_pair(&mut map, k, v.to_string()).unwrap();
        }
        Params(map)
    }

    #[test]
    fn rails_brackets() {
        let p = parse(&[
            ("redirect_uris[]", "a://x"),
            ("redirect_uris[]", "b://y"),
            ("source[privacy]", "unlisted"),
            ("fields_attributes[0][name]", "n0"),
            ("fields_attributes[0][value]", "v0"),
            ("fields_attributes[1][name]", "n1"),
            ("list[][name]", "a"),
            ("list[][value]", "1"),
            ("list[][name]", "b"),
            ("locked", "1"),
        ]);
        assert_eq!(p.list("redirect_uris"), ["a://x", "b://y"]);
        assert_eq!(p.nested_str("source", "privacy").unwrap(), "unlisted");
        let f = p.objects("fields_attributes").unwrap();
        assert_eq!(f[0]["name"], "n0");
        assert_eq!(f[1]["name"], "n1");
        let l = p.objects("list").unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(
            Value::Object(l[0].clone()),
            json!({"name": "a", "value": "1"})
        );
        assert_eq!(p.bool("locked").unwrap(), Some(true));
        assert!(parse(&[("x", "maybe")]).bool("x").is_err());
        assert_eq!(parse(&[("s", "one")]).list("s"), ["one"]);
    }

    #[test]
    fn nesting_is_bounded() {
        let key = |depth: usize| format!("a{}", "[b]".repeat(depth - 1));
        let mut map = Map::new();
        insert_pair(&mut map, &key(MAX_KEY_DEPTH), "deep".into()).unwrap();
        let mut v = &map["a"];
        for _ in 1..MAX_KEY_DEPTH - 1 {
            v = &v["b"];
        }
        assert_eq!(v["b"], "deep");
        let err = insert_pair(&mut map, &key(MAX_KEY_DEPTH + 1), "x".into()).unwrap_err();
        assert!(
            err.message.contains("nested deeper than 32"),
            "{}",
            err.message
        );
        let long = format!("a[{}]", "b".repeat(MAX_KEY_BYTES));
        let err = insert_pair(&mut map, &long, "x".into()).unwrap_err();
        assert!(err.message.contains("longer than"), "{}", err.message);
        // A hundred thousand levels: refused at once, no recursion.
        assert!(insert_pair(&mut map, &key(100_000), "x".into()).is_err());
    }

    #[test]
    fn odd_keys_do_not_panic() {
        for k in [
            "[", "]", "[]", "a[", "a]", "a[]]", "é[é]", "a[é][]", "[x]", "a[b]c[d]",
        ] {
            let mut map = Map::new();
            insert_pair(&mut map, k, "v".into()).unwrap();
        }
    }

    #[test]
    fn parameters_are_counted() {
        let mut map = Map::new();
        let mut count = 0;
        for i in 0..MAX_PARAMS {
            insert_counted(&mut map, &mut count, &format!("k{i}"), "v".into()).unwrap();
        }
        assert!(insert_counted(&mut map, &mut count, "one_more", "v".into()).is_err());
    }

    #[test]
    fn path_ids_are_positive_numbers() {
        assert_eq!(path_id("42").unwrap(), 42);
        assert!(path_id("0").is_err());
        assert!(path_id("abc").is_err());
        assert!(path_id("-1").is_err());
    }
}
