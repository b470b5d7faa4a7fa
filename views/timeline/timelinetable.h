#pragma once

#include <QTableView>

namespace es {

// The timeline's table: a QTableView over a window of rows whose scrollbar is
// replaced by the view's position scrollbar. It tells user scrolling apart
// from programmatic scrolling, and lets the view bring the scroll range up to
// date at once when rows come and go at the top of the window.
class TimelineTable : public QTableView {
    Q_OBJECT
public:
    explicit TimelineTable(QWidget *parent = nullptr);

    // Scroll range updated now, not at the next delayed layout.
    void syncGeometries();
    int firstVisibleRow() const;
    int lastVisibleRow() const;
    int visibleRowCapacity() const; // rows that fit in the viewport

Q_SIGNALS:
    // The user moved through the log (wheel, navigation keys).
    void userScrolled();
    // Ctrl+Home / Ctrl+End: the ends of the log, not of the window.
    void logStartRequested();
    void logEndRequested();

protected:
    void wheelEvent(QWheelEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
};

} // namespace es
