package flows

// Records and interactions name their zone (Asia/Shanghai), and cards are
// rendered from the name on every replica, in jobs and in pure renders
// alike. The embedded zone database makes every name load wherever botd
// runs, a minimal container image without /usr/share/zoneinfo included, so
// a card never falls back to UTC (or to the default zone) on one path and
// not on another.
import _ "time/tzdata"
