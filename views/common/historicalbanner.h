#pragma once

#include <QLabel>

namespace es {

// The thin orange line a view shows while the As Of cursor looks at the past,
// saying what that means for this view (the timeline still lists the live log;
// the console still writes to the live store). Hidden while live.
class HistoricalBanner : public QLabel {
    Q_OBJECT
public:
    // what: the view's sentence, with %1 for the As Of position.
    explicit HistoricalBanner(const QString &what, QWidget *parent = nullptr);

    // 0: live (hidden).
    void setAsOfPosition(qint64 position);

private:
    QString m_what;
};

} // namespace es
