package proxy

import "strings"

// ReportParam is the startup parameter by which a client asks for the
// gate's own ParameterStatus reports (vitess_last_insert_id,
// vitess_tx_shards): "on", "true", "yes" or "1". Other clients never get
// them, since drivers such as lib/pq refuse unexpected ParameterStatus
// messages in places (after a COPY).
const ReportParam = "vitess_report"

const gateParamPrefix = "vitess_"

// takeReportParam removes ReportParam from the startup parameters (it is
// the gate's, not a setting for the shards) and reports whether it was on.
func takeReportParam(params map[string]string) bool {
	for k, v := range params {
		if strings.EqualFold(k, ReportParam) {
			delete(params, k)
			switch strings.ToLower(v) {
			case "on", "true", "yes", "1":
				return true
			}
			return false
		}
	}
	return false
}

// reportable filters the parameters about to be reported. The gate's own
// vitess_* ones go only to clients that asked for them; after a COPY they
// are held back until the next ReadyForQuery, because lib/pq accepts no
// ParameterStatus between the end of the COPY data and ReadyForQuery.
func (c *conn) reportable(ps map[string]string) map[string]string {
	copied := c.copied
	c.copied = false
	var out map[string]string
	put := func(k, v string) {
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	for k, v := range ps {
		switch {
		case !strings.HasPrefix(k, gateParamPrefix):
			put(k, v)
		case !c.report:
		case copied:
			if c.held == nil {
				c.held = map[string]string{}
			}
			c.held[k] = v
		default:
			put(k, v)
		}
	}
	if !copied {
		for k, v := range c.held {
			if _, newer := ps[k]; !newer {
				put(k, v)
			}
		}
		c.held = nil
	}
	return out
}
