//! `--shard K/N`: a stable share of a run's scenarios for one CI job, so N
//! jobs (a GitHub Actions matrix, a Kubernetes Indexed Job) cover the run
//! once between them; `probity report merge` joins their reports.

use crate::runner::Job;
use crate::ConfigError;
use sha2::Digest;
use std::collections::HashMap;
use std::path::Path;

fn parse(spec: &str) -> Result<(usize, usize), ConfigError> {
    let bad = || {
        ConfigError::Other(format!(
            "--shard {spec}: expected K/N with 1 <= K <= N, e.g. 2/5"
        ))
    };
    let (k, n) = spec.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k - 1, n))
}

/// Scenario name → milliseconds it took in an earlier run's report.json.
pub fn durations(path: &Path) -> Result<HashMap<String, f64>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::Other(format!(
            "cannot read --shard-durations {}: {e}",
            path.display()
        ))
    })?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ConfigError::Other(format!("--shard-durations {}: {e}", path.display())))?;
    let rows = json
        .pointer("/summary/scenarios")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(rows
        .iter()
        .filter_map(|r| {
            let name = format!("{}/{}", r["suite"].as_str()?, r["id"].as_str()?);
            Some((name, r["elapsed_ms"].as_f64()?))
        })
        .collect())
}

/// The jobs of shard `spec`. Without durations a job belongs to the shard
/// its name's hash picks; with them, the longest jobs are dealt first, each
/// to the shard with the least time so far (ties by name), so shards take
/// about as long as each other. Either way every shard computes the same
/// split, and the N shards cover every job once.
pub fn select(
    jobs: Vec<Job>,
    spec: &str,
    durations: &HashMap<String, f64>,
) -> Result<Vec<Job>, ConfigError> {
    let (k, n) = parse(spec)?;
    if durations.is_empty() {
        return Ok(jobs
            .into_iter()
            .filter(|j| bucket(&j.name(), n) == k)
            .collect());
    }
    let mut order: Vec<(f64, String)> = jobs
        .iter()
        .map(|j| (durations.get(&j.name()).copied().unwrap_or(0.0), j.name()))
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut load = vec![0.0_f64; n];
    let mut mine = std::collections::HashSet::new();
    for (ms, name) in order {
        let (shard, _) = load
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((0, &0.0));
        if let Some(l) = load.get_mut(shard) {
            *l += ms.max(1.0);
        }
        if shard == k {
            mine.insert(name);
        }
    }
    Ok(jobs
        .into_iter()
        .filter(|j| mine.contains(&j.name()))
        .collect())
}

fn bucket(name: &str, n: usize) -> usize {
    let digest = sha2::Sha256::digest(name.as_bytes());
    // A SHA-256 digest has 32 bytes: the first eight are always there.
    let first = digest.first_chunk::<8>().copied().unwrap_or_default();
    (u64::from_be_bytes(first) % n as u64) as usize
}
