#pragma once

#include <QString>

#include <optional>

namespace es {

// What the "go to" field asks for: a global position (`1234567`, `#1234567`,
// `1,234,567`) or a point in time (ISO 8601; UTC unless an offset is given:
// `2025-11-25 12:00`, `2025-11-25T12:00:00.250Z`, `2025-11-25`).
struct GotoTarget {
    enum Kind { Invalid, Position, Time };
    Kind kind = Invalid;
    qint64 position = 0;
    qint64 timeMs = 0;

    static GotoTarget parse(const QString &text);
    // A time as typed in a time filter or the go-to field (ms since the epoch).
    static std::optional<qint64> parseTime(const QString &text);
};

} // namespace es
