//! Bounded in-memory stores. Each holds its own mutex, taken only for the
//! duration of a map operation (never across an await); the oldest entry is
//! evicted when a store is full.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A bounded map from string keys to values.
pub struct Store<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
}

struct Inner<V> {
    map: HashMap<String, V>,
    order: VecDeque<String>,
}

impl<V: Clone> Store<V> {
    /// A store holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Store {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity,
        }
    }

    /// Inserts or replaces a value.
    pub fn insert(&self, key: String, value: V) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.map.insert(key.clone(), value).is_none() {
            g.order.push_back(key);
        }
        while g.map.len() > self.capacity {
            match g.order.pop_front() {
                Some(old) => {
                    g.map.remove(&old);
                }
                None => break,
            }
        }
    }

    /// A copy of a value.
    pub fn get(&self, key: &str) -> Option<V> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .get(key)
            .cloned()
    }

    /// Removes and returns a value.
    pub fn take(&self, key: &str) -> Option<V> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let v = g.map.remove(key);
        // The key stays in `order` (removing it is a linear scan on every
        // take); stale keys are dropped in one pass when they pile up, so
        // taking is amortized O(1) however long the run.
        if g.order.len() > 2 * self.capacity.max(16) {
            let Inner { map, order } = &mut *g;
            order.retain(|k| map.contains_key(k));
        }
        v
    }

    /// Changes a value in place; returns what `f` returns.
    pub fn update<R>(&self, key: &str, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .get_mut(key)
            .map(f)
    }
}

/// A random URL-safe token of 32 bytes of entropy.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_oldest_when_full() {
        let s = Store::new(2);
        s.insert("a".into(), 1);
        s.insert("b".into(), 2);
        s.insert("c".into(), 3);
        assert_eq!(
            (s.get("a"), s.get("b"), s.get("c")),
            (None, Some(2), Some(3))
        );
        assert_eq!(s.take("b"), Some(2));
        assert_eq!(s.get("b"), None);
    }
}
