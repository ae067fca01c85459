//! The owner's content filters (Mastodon's v2 filters) in the `meta`
//! tree: `filter \0 ID` → `Filter` with its keywords inside, and
//! `filter_keyword \0 KEYWORD-ID` → filter id, because apps address
//! keywords by their own id.
//!
//! Keywords live inside their filter: a person has a handful of filters
//! with a few words each, and every check reads them all anyway.

use super::{accounts::be_u64, index_key, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Keyword {
    pub id: u64,
    pub keyword: String,
    /// Match only at word boundaries.
    pub whole_word: bool,
}

/// One status a filter names on its own (Mastodon's `FilterStatus`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct FilterStatus {
    pub id: u64,
    pub status_id: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Filter {
    pub id: u64,
    pub title: String,
    /// Where it applies: home, notifications, public, thread, account.
    pub context: Vec<String>,
    /// `warn` (collapse with a notice), `hide`, or `blur` (media only).
    pub action: String,
    pub expires_at_ms: Option<i64>,
    pub keywords: Vec<Keyword>,
    /// Statuses it hides or warns about whatever their words.
    pub statuses: Vec<FilterStatus>,
}

impl Filter {
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|e| e <= now_ms)
    }
}

fn filter_key(id: u64) -> Vec<u8> {
    index_key("filter", &[&id.to_be_bytes()])
}
fn keyword_key(id: u64) -> Vec<u8> {
    index_key("filter_keyword", &[&id.to_be_bytes()])
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Store {
    /// Every filter, oldest first.
    pub fn filters(&self) -> Result<Vec<Filter>> {
        let mut prefix = index_key("filter", &[]);
        prefix.push(0);
        let mut out = Vec::new();
        for kv in self.meta.scan_prefix(&prefix) {
            let (k, v) = kv?;
            if k.len() == prefix.len() + 8 {
                out.push(super::codec::decode(&v)?);
            }
        }
        Ok(out)
    }

    pub fn filter(&self, id: u64) -> Result<Option<Filter>> {
        match self.meta.get(filter_key(id))? {
            Some(v) => Ok(Some(super::codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The filter holding a keyword.
    pub fn filter_of_keyword(&self, keyword_id: u64) -> Result<Option<Filter>> {
        match self.meta.get(keyword_key(keyword_id))? {
            Some(v) => self.filter(be_u64(&v)),
            None => Ok(None),
        }
    }
}

impl Tx<'_> {
    /// Creates or replaces a filter, keeping the keyword index in step
    /// with `old` (the stored version, if any).
    pub fn put_filter(&self, f: &Filter, old: Option<&Filter>) -> R<()> {
        if let Some(old) = old {
            for k in &old.keywords {
                self.remove(T::Meta, &keyword_key(k.id))?;
            }
        }
        for k in &f.keywords {
            self.put(T::Meta, &keyword_key(k.id), &f.id.to_be_bytes())?;
        }
        self.put_rec(T::Meta, &filter_key(f.id), f)
    }

    pub fn delete_filter(&self, f: &Filter) -> R<()> {
        for k in &f.keywords {
            self.remove(T::Meta, &keyword_key(k.id))?;
        }
        self.remove(T::Meta, &filter_key(f.id))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_find_their_filter_until_removed() {
        let s = Store::temporary().unwrap();
        let mut f = Filter {
            id: 5,
            title: "spoilers".into(),
            context: vec!["home".into()],
            action: "warn".into(),
            keywords: vec![Keyword {
                id: 50,
                keyword: "finale".into(),
                whole_word: true,
            }],
            ..Default::default()
        };
        s.transact(|tx| tx.put_filter(&f, None)).unwrap();
        assert_eq!(s.filter_of_keyword(50).unwrap().unwrap().id, 5);
        let old = f.clone();
        f.keywords = vec![Keyword {
            id: 51,
            keyword: "ending".into(),
            whole_word: false,
        }];
        s.transact(|tx| tx.put_filter(&f, Some(&old))).unwrap();
        assert!(s.filter_of_keyword(50).unwrap().is_none());
        assert_eq!(s.filters().unwrap(), vec![f.clone()]);
        s.transact(|tx| tx.delete_filter(&f)).unwrap();
        assert!(s.filter_of_keyword(51).unwrap().is_none());
        assert!(s.filters().unwrap().is_empty());
    }
}
