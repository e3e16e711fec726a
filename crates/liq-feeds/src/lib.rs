//! Exchange connectors (tokio), REST pollers, reconnect policy, recorder, and the market
//! simulator behind the mock exchange. Built by the feeds issue; empty for now.
