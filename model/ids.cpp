#include "ids.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace es {

QString newId()
{
    const quint64 ms = quint64(QDateTime::currentMSecsSinceEpoch());
    quint64 randomA = QRandomGenerator::global()->generate64();
    const quint64 randomB = QRandomGenerator::global()->generate64();
    unsigned char b[16];
    for (int i = 0; i < 6; ++i)
        b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
    for (int i = 6; i < 16; ++i) {
        b[i] = static_cast<unsigned char>(i < 14 ? randomA : randomB);
        randomA >>= 8;
    }
    b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0f)); // version 7
    b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f)); // RFC 4122 variant
    static const char hex[] = "0123456789abcdef";
    QString out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += QLatin1Char('-');
        out += QLatin1Char(hex[b[i] >> 4]);
        out += QLatin1Char(hex[b[i] & 0x0f]);
    }
    return out;
}

} // namespace es
