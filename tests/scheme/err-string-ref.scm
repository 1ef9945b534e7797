;; string-ref out of range.
(string-ref "abc" 3)
