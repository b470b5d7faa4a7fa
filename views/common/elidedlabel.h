#pragma once

#include <QFrame>

namespace es {

// One line of plain text that elides (…) when narrower than the text, with
// the whole text as its tooltip. Its height never changes with the text, and
// its minimum width is a few characters: it cannot widen its dock.
class ElidedLabel : public QFrame {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget *parent = nullptr);

    QString text() const { return m_text; }
    void setText(const QString &text);
    void clear() { setText({}); }
    // The text's colour (invalid: the palette's).
    void setColor(const QColor &color);
    void setElideMode(Qt::TextElideMode mode);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_text;
    Qt::TextElideMode m_mode = Qt::ElideRight;
};

} // namespace es
