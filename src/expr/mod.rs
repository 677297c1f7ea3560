//! What suites write that is parsed when they load: templates with
//! `{{ placeholders }}` filled from the profile and earlier steps, JSONPaths,
//! capture sources and HTTP methods. Step kinds and the suite loader share
//! them; they know nothing of either.

mod parsed;
mod template;

pub use parsed::{Capture, CaptureSource, HttpMethod, JsonPathExpr};
pub use template::{
    AuthorizeField, JsonTemplate, Ref, TargetField, Template, TokenField, Unset, Values,
};
