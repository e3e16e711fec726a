//! The response cache: rendered bodies keyed by the normalized query, each entry fresh for at
//! most its endpoint's TTL (api.md 2.5), at most 500 entries with the least recently used out
//! (DECISIONS HTTP API 4). Cleared whenever the published data changes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// Entries kept at most.
pub const CACHE_CAPACITY: usize = 500;

#[derive(Debug)]
struct Entry {
    body: Bytes,
    stored: Instant,
    used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Entry>,
    tick: u64,
}

/// A bounded LRU cache of rendered JSON bodies.
#[derive(Debug, Default)]
pub struct ResponseCache {
    inner: Mutex<Inner>,
}

impl ResponseCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The body stored under `key` if it is younger than `ttl`.
    pub fn get(&self, key: &str, ttl: Duration) -> Option<Bytes> {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        let e = g.map.get_mut(key)?;
        if e.stored.elapsed() >= ttl {
            return None;
        }
        e.used = tick;
        Some(e.body.clone())
    }

    /// Stores a body, evicting the least recently used entry when full.
    pub fn put(&self, key: String, body: Bytes) {
        let mut g = self.lock();
        g.tick += 1;
        let used = g.tick;
        if g.map.len() >= CACHE_CAPACITY && !g.map.contains_key(&key) {
            let oldest = g
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                g.map.remove(&k);
            }
        }
        g.map.insert(
            key,
            Entry {
                body,
                stored: Instant::now(),
                used,
            },
        );
    }

    /// Drops every entry.
    pub fn clear(&self) {
        self.lock().map.clear();
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_and_ttl() {
        let c = ResponseCache::default();
        for i in 0..CACHE_CAPACITY {
            c.put(format!("k{i}"), Bytes::from_static(b"x"));
        }
        assert!(c.get("k0", Duration::from_secs(5)).is_some());
        c.put("new".into(), Bytes::from_static(b"y"));
        assert_eq!(c.len(), CACHE_CAPACITY);
        assert!(c.get("k0", Duration::from_secs(5)).is_some());
        assert!(c.get("k1", Duration::from_secs(5)).is_none());
        assert!(c.get("new", Duration::ZERO).is_none());
    }
}
