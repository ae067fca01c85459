//! `Filter`, `FilterKeyword`, `FilterResult` and the v1 `V1_Filter`.

use crate::ops::filters::FilterResult;
use crate::store::filters::{Filter, FilterStatus, Keyword};
use crate::time_fmt::iso8601_ms;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize, Debug, Clone)]
pub struct KeywordEntity {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

#[derive(Serialize, Debug, Clone)]
pub struct FilterEntity {
    pub id: String,
    pub title: String,
    pub context: Vec<String>,
    pub expires_at: Option<String>,
    pub filter_action: String,
    /// Present on the filter endpoints, left out inside a `FilterResult`
    /// (as Mastodon does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<KeywordEntity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<Value>>,
}

#[derive(Serialize, Debug, Clone)]
pub struct FilterResultEntity {
    pub filter: FilterEntity,
    pub keyword_matches: Option<Vec<String>>,
    pub status_matches: Option<Vec<String>>,
}

/// One keyword of a v2 filter, as v1 apps see filters.
#[derive(Serialize, Debug, Clone)]
pub struct V1FilterEntity {
    pub id: String,
    pub phrase: String,
    pub context: Vec<String>,
    pub expires_at: Option<String>,
    pub irreversible: bool,
    pub whole_word: bool,
}

pub fn keyword(k: &Keyword) -> KeywordEntity {
    KeywordEntity {
        id: k.id.to_string(),
        keyword: k.keyword.clone(),
        whole_word: k.whole_word,
    }
}

fn base(f: &Filter, with_rules: bool) -> FilterEntity {
    FilterEntity {
        id: f.id.to_string(),
        title: f.title.clone(),
        context: f.context.clone(),
        expires_at: f.expires_at_ms.map(iso8601_ms),
        filter_action: f.action.clone(),
        keywords: with_rules.then(|| f.keywords.iter().map(keyword).collect()),
        statuses: with_rules.then(|| f.statuses.iter().map(filter_status).collect()),
    }
}

/// `FilterStatus`: a status a filter names.
pub fn filter_status(fs: &FilterStatus) -> Value {
    serde_json::json!({ "id": fs.id.to_string(), "status_id": fs.status_id.to_string() })
}

pub fn filter(f: &Filter) -> FilterEntity {
    base(f, true)
}

pub fn filter_result(r: &FilterResult) -> FilterResultEntity {
    FilterResultEntity {
        filter: base(&r.filter, false),
        keyword_matches: Some(r.keyword_matches.clone()),
        status_matches: Some(r.status_matches.clone()),
    }
}

/// v1 apps know one phrase per filter: each keyword becomes one.
pub fn v1_filters(f: &Filter) -> Vec<V1FilterEntity> {
    f.keywords
        .iter()
        .map(|k| V1FilterEntity {
            id: k.id.to_string(),
            phrase: k.keyword.clone(),
            context: f.context.clone(),
            expires_at: f.expires_at_ms.map(iso8601_ms),
            irreversible: f.action == "hide",
            whole_word: k.whole_word,
        })
        .collect()
}
