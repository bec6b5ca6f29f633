package longconn

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/botd/botd/internal/prom"
)

// Reasons a connection ended, the reason label of
// botd_longconn_reconnects_total. The deploy/ alert rules name these
// metrics: keep their names.
const (
	// ReasonTimeout: nothing arrived within the read deadline (twice the
	// ping interval, and 5 s): the connection had gone silent, half-open.
	ReasonTimeout = "timeout"
	// ReasonClosed: the platform or the network closed or reset the
	// connection.
	ReasonClosed = "closed"
	// ReasonRefused: the platform refused to connect: a wrong app id or
	// secret, an app not allowed the long connection (store apps), or more
	// than 50 connections.
	ReasonRefused = "refused"
	// ReasonUnavailable: the platform answered with a server error.
	ReasonUnavailable = "unavailable"
	// ReasonNetwork: the endpoint or the WebSocket could not be reached.
	ReasonNetwork = "network"
)

var reasons = []string{ReasonTimeout, ReasonClosed, ReasonRefused, ReasonUnavailable, ReasonNetwork}

type metrics struct {
	connected  prometheus.Gauge
	reconnects *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "botd_longconn_connected",
			Help: "1 while this replica's long connection to the platform is up (event_mode websocket), else 0.",
		}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "botd_longconn_reconnects_total",
			Help: "Reconnections of the long connection, by why the previous attempt ended: timeout (went silent), closed, refused, unavailable, network.",
		}, []string{"reason"}),
	}
	// Every reason exists from the start, at 0, so that rate() and alert
	// rules see a series before the first reconnect.
	for _, r := range reasons {
		m.reconnects.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.connected, err = prom.Register(reg, m.connected); err != nil {
		return nil, err
	}
	if m.reconnects, err = prom.Register(reg, m.reconnects); err != nil {
		return nil, err
	}
	return m, nil
}
