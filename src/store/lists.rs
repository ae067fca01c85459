//! The owner's lists and their members, in the `relations` tree:
//!
//! - `list \0 ID` → `List`
//! - `list_member \0 LIST \0 ACCOUNT` → entry id (membership test)
//! - `list_members:LIST \0 ENTRY` → account id (ordered, for paging)
//! - `account_lists \0 ACCOUNT \0 LIST` → nothing (which lists hold an
//!   account, asked for every arriving status)

use super::{accounts::be_u64, index_key, timelines, Result, Store, Tx, T};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct List {
    pub id: u64,
    pub title: String,
    /// Which replies show in the list: `followed`, `list` or `none`.
    pub replies_policy: String,
    /// Members' posts show only in the list, not in the home timeline.
    pub exclusive: bool,
}

fn list_key(id: u64) -> Vec<u8> {
    index_key("list", &[&id.to_be_bytes()])
}
fn member_key(list: u64, account: u64) -> Vec<u8> {
    index_key(
        "list_member",
        &[&list.to_be_bytes(), &account.to_be_bytes()],
    )
}
/// Name of a list's ordered member range (paged like a timeline).
fn members_name(list: u64) -> String {
    format!("list_members:{list}")
}
fn order_key(list: u64, entry: u64) -> Vec<u8> {
    index_key(&members_name(list), &[&entry.to_be_bytes()])
}
fn reverse_key(account: u64, list: u64) -> Vec<u8> {
    index_key(
        "account_lists",
        &[&account.to_be_bytes(), &list.to_be_bytes()],
    )
}

type R<X> =
    std::result::Result<X, sled::transaction::ConflictableTransactionError<super::StoreError>>;

impl Store {
    /// Every list, oldest first (Mastodon orders them by title on the
    /// client; the id order keeps them stable).
    pub fn lists(&self) -> Result<Vec<List>> {
        let mut prefix = index_key("list", &[]);
        prefix.push(0);
        let mut out = Vec::new();
        for kv in self.relations.scan_prefix(&prefix) {
            let (k, v) = kv?;
            if k.len() == prefix.len() + 8 {
                out.push(super::codec::decode(&v)?);
            }
        }
        Ok(out)
    }

    pub fn list(&self, id: u64) -> Result<Option<List>> {
        match self.relations.get(list_key(id))? {
            Some(v) => Ok(Some(super::codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn is_list_member(&self, list: u64, account: u64) -> Result<bool> {
        Ok(self.relations.contains_key(member_key(list, account))?)
    }

    /// Members of a list: (entry id, account id), newest first.
    pub fn list_members_page(&self, list: u64, page: timelines::Page) -> Result<Vec<(u64, u64)>> {
        let name = members_name(list);
        let entries = timelines::scan_page(&self.relations, &name, page, |_| true)?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            if let Some(a) = self.relations.get(order_key(list, e))? {
                out.push((e, be_u64(&a)));
            }
        }
        Ok(out)
    }

    /// Every member of a list (to delete it), as (entry id, account id).
    pub fn list_members_all(&self, list: u64) -> Result<Vec<(u64, u64)>> {
        let mut prefix = index_key(&members_name(list), &[]);
        prefix.push(0);
        let mut out = Vec::new();
        for kv in self.relations.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push((be_u64(&k[k.len() - 8..]), be_u64(&v)));
        }
        Ok(out)
    }

    /// The lists an account is in: where its new statuses also go
    /// (`list:ID` timelines).
    pub fn lists_for_account(&self, account: u64) -> Result<Vec<u64>> {
        super::relations::ids_under(
            &self.relations,
            &index_key("account_lists", &[&account.to_be_bytes()]),
        )
    }
}

impl Tx<'_> {
    pub fn put_list(&self, list: &List) -> R<()> {
        self.put_rec(T::Relations, &list_key(list.id), list)
    }

    /// Removes a list and the given members (read just before, outside
    /// the transaction: sled transactions cannot scan).
    pub fn delete_list(&self, list: u64, members: &[(u64, u64)]) -> R<()> {
        self.remove(T::Relations, &list_key(list))?;
        for (entry, account) in members {
            self.remove(T::Relations, &member_key(list, *account))?;
            self.remove(T::Relations, &order_key(list, *entry))?;
            self.remove(T::Relations, &reverse_key(*account, list))?;
        }
        Ok(())
    }

    /// Adds a member under a fresh entry id; returns whether it is new.
    pub fn add_list_member(&self, list: u64, account: u64, entry: u64) -> R<bool> {
        if self
            .get(T::Relations, &member_key(list, account))?
            .is_some()
        {
            return Ok(false);
        }
        self.put(
            T::Relations,
            &member_key(list, account),
            &entry.to_be_bytes(),
        )?;
        self.put(
            T::Relations,
            &order_key(list, entry),
            &account.to_be_bytes(),
        )?;
        self.put(T::Relations, &reverse_key(account, list), &[])?;
        Ok(true)
    }

    /// Takes an account out of every list in `lists` (read just before
    /// with `lists_for_account`), as when the owner stops following it.
    pub fn remove_from_lists(&self, account: u64, lists: &[u64]) -> R<()> {
        for list in lists {
            self.remove_list_member(*list, account)?;
        }
        Ok(())
    }

    /// Removes a member; returns whether it was one.
    pub fn remove_list_member(&self, list: u64, account: u64) -> R<bool> {
        let Some(entry) = self.remove(T::Relations, &member_key(list, account))? else {
            return Ok(false);
        };
        self.remove(T::Relations, &order_key(list, be_u64(&entry)))?;
        self.remove(T::Relations, &reverse_key(account, list))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_paged_and_found_from_both_sides() {
        let s = Store::temporary().unwrap();
        let list = List {
            id: 7,
            title: "friends".into(),
            replies_policy: "list".into(),
            exclusive: false,
        };
        s.transact(|tx| {
            tx.put_list(&list)?;
            tx.put_list(&List {
                id: 77,
                ..list.clone()
            })?;
            for (entry, account) in [(1u64, 100u64), (2, 200), (3, 300)] {
                tx.add_list_member(7, account, entry)?;
            }
            tx.add_list_member(77, 100, 4)
        })
        .unwrap();
        assert_eq!(s.lists().unwrap().len(), 2);
        let page = timelines::Page {
            limit: 2,
            ..Default::default()
        };
        assert_eq!(
            s.list_members_page(7, page).unwrap(),
            vec![(3, 300), (2, 200)]
        );
        assert_eq!(s.lists_for_account(100).unwrap(), vec![7, 77]);
        assert!(!s.transact(|tx| tx.add_list_member(7, 100, 9)).unwrap());
        assert!(s.transact(|tx| tx.remove_list_member(7, 200)).unwrap());
        let members = s.list_members_all(7).unwrap();
        assert_eq!(members, vec![(1, 100), (3, 300)]);
        s.transact(|tx| tx.delete_list(7, &members)).unwrap();
        assert!(s.list(7).unwrap().is_none());
        assert_eq!(s.lists_for_account(100).unwrap(), vec![77]);
        assert!(s.list_members_all(7).unwrap().is_empty());
        assert!(s.is_list_member(77, 100).unwrap());
    }
}
