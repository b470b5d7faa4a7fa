#pragma once

#include <QString>

namespace es {

// A one-line reading of the start of an event's JSON data for the timeline's
// payload column: `{"amount":12,"note":"rent"}` reads `amount: 12, note: rent`.
// It never parses (the text may be cut anywhere); it just drops the syntax.
class PayloadSummary {
public:
    static constexpr int DefaultChars = 160;
    // `truncated`: the JSON continues past `json`.
    static QString of(const QString &json, bool truncated, int maxChars = DefaultChars);
};

} // namespace es
