#include "ids.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <memory>

namespace es {

namespace {
struct Seeded {
    QRandomGenerator rng;
    quint64 ms; // advances by one per id: drawn order is sorted order
};
thread_local std::unique_ptr<Seeded> t_seeded;
} // namespace

SeededIds::SeededIds(quint64 seed)
{
    // 2025-01-01T00:00:00Z: a fixed origin, so the ids carry no time of the run.
    t_seeded = std::make_unique<Seeded>(Seeded{QRandomGenerator(quint32(seed ^ (seed >> 32))), 1735689600000ULL});
}

SeededIds::~SeededIds()
{
    t_seeded.reset();
}

QString newId()
{
    Seeded *seeded = t_seeded.get();
    const quint64 ms = seeded ? seeded->ms++ : quint64(QDateTime::currentMSecsSinceEpoch());
    QRandomGenerator *rng = seeded ? &seeded->rng : QRandomGenerator::global();
    quint64 randomA = rng->generate64();
    const quint64 randomB = rng->generate64();
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
