// Private to the Hub implementation: the SQL pre-filters of list and count queries. Each appends
// " AND ..." conditions (and their parameters) that keep only rows in the principal's audience as
// docs/sharing.md ("List queries") states it, so that pages and counts are right; list endpoints
// still run authorize() on every row they return.
#pragma once

#include <string>
#include <vector>

#include "mamori/hub/authz.h"
#include "mamori/hub/database.h"

namespace mamori::hub::internal {

// Incident reports: table alias `r`, the reporter's organisation joined as `o`; the caller has
// already bound `r.sensitivity <= ?` to the principal's clearance.
void appendReportAudience(const Principal& p, std::string& sql, std::vector<SqlValue>& params);

// Events: no table alias; includes the clearance bound (and no RED for viewers). Outside the
// centre, only events released to the principal's own organisation (notified or closed); whether
// a RED one lists it as recipient is authorize()'s check, row by row (the centre lists the target
// when it notifies a RED event, docs/sharing.md).
void appendEventAudience(const Principal& p, std::string& sql, std::vector<SqlValue>& params);

// Indicators: table alias `i`; includes the clearance bound (and no RED for viewers). The
// publisher organisation's own indicators (released or not), and released ones that are CLEAR or
// GREEN, list the principal's organisation as a recipient, or are AMBER and list the principal's
// overseeing ministry (TLP's "clients"; authorize() checks that it is a ministry). Indicators have
// no subject organisation.
void appendIndicatorAudience(const Principal& p, std::string& sql, std::vector<SqlValue>& params);

}  // namespace mamori::hub::internal
