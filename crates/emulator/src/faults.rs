//! Seeded fault injection: what the fault RNG decides for one ARM request.

use rand::Rng;

use super::state::{Fault, State};

/// One draw per ARM request, always, so the same seed gives the same sequence of faults.
pub fn draw(st: &mut State) -> Fault {
    let x: f64 = st.rng.random();
    let f = &st.knobs.faults;
    if x < f.throttle_rate {
        Fault::Throttle
    } else if x < f.throttle_rate + f.server_error_rate {
        // A second draw picks which 5xx, still deterministic.
        if st.rng.random::<bool>() {
            Fault::ServerError(500)
        } else {
            Fault::ServerError(503)
        }
    } else if x < f.throttle_rate + f.server_error_rate + f.drop_rate {
        Fault::Drop
    } else {
        Fault::None
    }
}
