#pragma once

#include "projectionhost.h"

#include <QWidget>

namespace es {

// The throughput of one projection over the last minutes (events/s, a filled
// area) with its lag in events (a line, own scale), newest at the right.
class ThroughputChart : public QWidget {
    Q_OBJECT
public:
    explicit ThroughputChart(QWidget *parent = nullptr);

    void setSamples(const QList<ProjectionHost::Sample> &samples, qint64 nowMs = 0);
    void setTitle(const QString &title);
    const QList<ProjectionHost::Sample> &samples() const { return m_samples; }
    // The window shown, in seconds; 0: from one to five minutes, as the history grows (the default).
    int spanSeconds() const { return m_spanSeconds; }
    void setSpanSeconds(int seconds);

    // A "nice" upper bound for an axis (1, 2, 5 × 10^n) at or above value.
    static double niceCeiling(double value);

    QSize sizeHint() const override { return {360, 150}; }
    QSize minimumSizeHint() const override { return {200, 90}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<ProjectionHost::Sample> m_samples;
    qint64 m_nowMs = 0;
    int m_spanSeconds = 60;
    bool m_autoSpan = true;
    QString m_title;
};

} // namespace es
