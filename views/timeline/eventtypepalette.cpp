#include "eventtypepalette.h"

namespace es {

quint32 EventTypePalette::hashOf(const QString &type)
{
    // FNV-1a over the UTF-16 code units.
    quint32 h = 2166136261u;
    for (const QChar c : type) {
        h ^= c.unicode();
        h *= 16777619u;
    }
    return h;
}

int EventTypePalette::hueOf(const QString &type)
{
    // Mixed again so that names differing in one letter land far apart.
    quint32 h = hashOf(type);
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return int(h % 360u);
}

QColor EventTypePalette::background(const QString &type)
{
    return QColor::fromHsl(hueOf(type), 150, 215);
}

QColor EventTypePalette::accent(const QString &type)
{
    return QColor::fromHsl(hueOf(type), 170, 120);
}

} // namespace es
