#pragma once

#include <QList>
#include <QSlider>

namespace es {

// A horizontal slider with small markers under chosen values (the versions
// that have a snapshot), and a second colour for markers that warn.
class MarkedSlider : public QSlider {
    Q_OBJECT
public:
    explicit MarkedSlider(QWidget *parent = nullptr);

    void setMarkers(const QList<qint64> &values, const QList<qint64> &warnings = {});
    QList<qint64> markers() const { return m_markers; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QList<qint64> m_markers;
    QList<qint64> m_warnings;
};

} // namespace es
