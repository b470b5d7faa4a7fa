#pragma once

// What both benches share (bench.cpp: SQLite; benchpg.cpp: PostgreSQL): the
// synthetic payloads, id generation, timing arithmetic and progress lines.

#include "cli.h"
#include "types.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace benchsupport {

using namespace Qt::StringLiterals;

// Both benches append in transactions of BatchSize events, and send durable
// commands to Accounts bank accounts, so their figures compare.
inline constexpr int BatchSize = 1000;
inline constexpr int Accounts = 100;

inline void progress(const QString &line)
{
    err() << "bench: " << line << Qt::endl;
}

inline double seconds(qint64 ns)
{
    return double(ns) / 1e9;
}

// Nearest-rank percentile of nanosecond samples, in milliseconds.
inline double percentileMs(std::vector<qint64> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    size_t rank = size_t(std::ceil(p * double(v.size())));
    rank = std::clamp<size_t>(rank, 1, v.size());
    return double(v[rank - 1]) / 1e6;
}

// Random version-4 UUID text without Qt's per-call system entropy: the raw
// baselines need unique ids at the cost SQLite itself would see.
class FastUuid {
public:
    FastUuid()
        : m_rng(std::random_device{}())
    {
    }
    const char *next()
    {
        static const char hex[] = "0123456789abcdef";
        const quint64 halves[2] = {m_rng(), m_rng()};
        int k = 0;
        for (int i = 0; i < 32; ++i) {
            if (i == 8 || i == 12 || i == 16 || i == 20)
                m_buf[k++] = '-';
            int nibble = int((halves[i / 16] >> ((15 - i % 16) * 4)) & 0xf);
            if (i == 12)
                nibble = 4;
            else if (i == 16)
                nibble = 8 | (nibble & 3);
            m_buf[k++] = hex[nibble];
        }
        m_buf[36] = '\0';
        return m_buf;
    }

private:
    std::mt19937_64 m_rng;
    char m_buf[37] = {};
};

inline QJsonObject benchPayload(qint64 i)
{
    static const QString memo =
        u"benchmark payload: a transfer note of about the size that a real business event carries"_s;
    static const QJsonArray tags{u"alpha"_s, u"beta"_s, u"gamma"_s};
    return QJsonObject{
        {u"accountId"_s, u"acc-%1"_s.arg(i % 100000, 6, 10, QChar(u'0'))},
        {u"amount"_s, double(i % 100000) / 100.0 + 0.01},
        {u"currency"_s, u"EUR"_s},
        {u"memo"_s, memo},
        {u"seq"_s, i},
        {u"tags"_s, tags},
    };
}

inline QJsonObject benchMetadata(qint64 batch)
{
    return QJsonObject{{QString(es::meta::Actor), u"bench"_s},
                       {QString(es::meta::CorrelationId), u"bench-corr-%1"_s.arg(batch)}};
}

} // namespace benchsupport
