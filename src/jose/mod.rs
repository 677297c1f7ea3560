//! JOSE: signing JWTs (client assertions, request objects, ID tokens in the
//! bank) and the OIDC hash claims. Built on josekit.

mod detached;
pub mod dpop;
mod hash;
mod sign;
mod warm;

pub use detached::{
    detached_header, sign_detached, verify_detached, DetachedForm, DetachedInfo, OB_IAT, OB_ISS,
    OB_TAN,
};
pub use hash::oidc_hash;
pub use sign::{
    decode_unverified, sign_jwt, signer_alg_for, verify_jwt, HeaderAndClaims, JoseFailure,
};
pub use warm::warm_up;
