//! Skulk embeddable time-series database engine
