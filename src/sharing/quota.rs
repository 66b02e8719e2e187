//! The tenant's storage quota while files arrive. What is left is read once per request, before
//! the first byte; every file of the request is then cut off the moment the bytes received in
//! this request would go over it (see `ingest::Limits`).
//!
//! Requests running at the same time each read what is left before any of them has committed,
//! so together they may go over the quota by at most what they have in flight at that moment.
//! That is accepted on purpose: the quota keeps a tenant from filling the storage over time, the
//! per-file limit bounds each file, and holding reservations for streams that may never finish
//! would cost more than it saves.

use crate::db::{usage, Db};

/// Bytes a tenant may still store in this request; `None`: no quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageRoom {
    left: Option<u64>,
}

impl StorageRoom {
    /// What the tenant's quota (as read with its policy) leaves now: one sum over its files
    /// when there is a quota.
    pub async fn of_tenant(
        db: &Db,
        tenant_id: &str,
        quota: Option<i64>,
    ) -> sqlx::Result<StorageRoom> {
        let Some(quota) = quota else {
            return Ok(StorageRoom { left: None });
        };
        let used = usage::storage_used(db, tenant_id).await?;
        Ok(StorageRoom::from_figures(Some(quota), used))
    }

    pub fn from_figures(quota: Option<i64>, used: i64) -> StorageRoom {
        StorageRoom {
            left: quota.map(|q| q.saturating_sub(used.max(0)).max(0) as u64),
        }
    }

    /// What the next file may take once `received` bytes of this request are in.
    pub fn left_after(&self, received: u64) -> Option<u64> {
        self.left.map(|l| l.saturating_sub(received))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_left_shrinks_with_each_file_and_never_goes_negative() {
        let room = StorageRoom::from_figures(Some(1000), 400);
        assert_eq!(room.left_after(0), Some(600));
        assert_eq!(room.left_after(600), Some(0));
        assert_eq!(room.left_after(700), Some(0));
        assert_eq!(
            StorageRoom::from_figures(Some(100), 300).left_after(0),
            Some(0)
        );
        assert_eq!(StorageRoom::from_figures(None, 300).left_after(5), None);
    }
}
