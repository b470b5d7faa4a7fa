#pragma once

#include <QColor>
#include <QString>

namespace es {

// A colour per event type, the same on every run and machine (the hash is
// ours, not qHash's per-process seed), so people learn them.
class EventTypePalette {
public:
    static quint32 hashOf(const QString &type);
    static int hueOf(const QString &type);
    // A light chip behind dark text.
    static QColor background(const QString &type);
    // A saturated mark (the row's stripe).
    static QColor accent(const QString &type);
};

} // namespace es
