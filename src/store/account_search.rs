//! Finding known accounts by name for search and autocompletion, without
//! an index: a bounded scan of the `accounts` tree. A one-person server
//! knows a few thousand accounts; the bound keeps a search cheap even if
//! it knows more.

use super::{accounts::Account, codec, Result, Store};

/// Accounts examined at most per search.
pub const MAX_ACCOUNT_SCAN: usize = 20_000;

impl Store {
    /// Known accounts `matches` accepts, in id order, at most `limit`.
    pub fn find_accounts(
        &self,
        mut matches: impl FnMut(&Account) -> bool,
        limit: usize,
    ) -> Result<Vec<Account>> {
        let mut out = Vec::new();
        for kv in self.accounts.iter().take(MAX_ACCOUNT_SCAN) {
            let (_, v) = kv?;
            let a: Account = codec::decode(&v)?;
            if matches(&a) {
                out.push(a);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
