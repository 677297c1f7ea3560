//! Fields of the bank's JSON resources, written without `value["key"] = …`,
//! which panics when the value is neither an object nor `null`.

use serde_json::Value;

/// Sets `key` of an object; `null` becomes an object first, as indexing
/// does. Any other value is left alone.
pub(crate) fn set(value: &mut Value, key: &str, field: Value) {
    if value.is_null() {
        *value = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = value {
        map.insert(key.to_string(), field);
    }
}

#[cfg(test)]
mod tests {
    use super::set;
    use serde_json::json;

    #[test]
    fn sets_on_objects_and_null_and_leaves_the_rest() {
        let mut object = json!({ "a": 1 });
        set(&mut object, "b", json!(2));
        assert_eq!(object, json!({ "a": 1, "b": 2 }));
        let mut null = json!(null);
        set(&mut null, "b", json!(2));
        assert_eq!(null, json!({ "b": 2 }));
        let mut text = json!("x");
        set(&mut text, "b", json!(2));
        assert_eq!(text, json!("x"));
    }
}
