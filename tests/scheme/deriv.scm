;; Symbolic differentiation with simplification: quasiquote-built expressions, deep
;; recursion over list structure, symbols compared with eq?.
;; torture: no  (too many allocations for a collection at each; torture-mix.scm covers it small)

(define (variable? e) (symbol? e))
(define (same-variable? a b) (and (variable? a) (variable? b) (eq? a b)))

(define (make-sum a b)
  (cond ((and (number? a) (= a 0)) b)
        ((and (number? b) (= b 0)) a)
        ((and (number? a) (number? b)) (+ a b))
        (else `(+ ,a ,b))))

(define (make-product a b)
  (cond ((or (and (number? a) (= a 0)) (and (number? b) (= b 0))) 0)
        ((and (number? a) (= a 1)) b)
        ((and (number? b) (= b 1)) a)
        ((and (number? a) (number? b)) (* a b))
        (else `(* ,a ,b))))

(define (make-power base n)
  (cond ((= n 0) 1)
        ((= n 1) base)
        (else `(expt ,base ,n))))

(define (deriv e x)
  (cond ((number? e) 0)
        ((variable? e) (if (same-variable? e x) 1 0))
        (else
         (case (car e)
           ((+) (make-sum (deriv (cadr e) x) (deriv (caddr e) x)))
           ((*) (make-sum (make-product (cadr e) (deriv (caddr e) x))
                          (make-product (deriv (cadr e) x) (caddr e))))
           ((expt) (make-product (make-product (caddr e) (make-power (cadr e) (- (caddr e) 1)))
                                 (deriv (cadr e) x)))
           (else (error "unknown operator" (car e)))))))

(define (show . xs) (for-each write xs) (newline))

(show (deriv '(+ x 3) 'x))
(show (deriv '(* x y) 'x))
(show (deriv '(* (* x y) (+ x 3)) 'x))
(show (deriv '(expt x 5) 'x))
(show (deriv '(+ (* 3 (expt x 2)) (* 2 x)) 'x))

;; Evaluate an expression tree for a given x (assq over an environment alist).
(define (evaluate e env)
  (cond ((number? e) e)
        ((symbol? e) (cdr (assq e env)))
        (else
         (let ((a (evaluate (cadr e) env)) (b (evaluate (caddr e) env)))
           (case (car e) ((+) (+ a b)) ((*) (* a b)) ((expt) (expt a b)))))))

(define poly '(+ (* 3 (expt x 4)) (+ (* 2 (expt x 3)) (* x y))))
(show (evaluate (deriv poly 'x) '((x . 2) (y . 5))))

;; A big expression: the derivative of a product of 60 factors, built and thrown away
;; 20 times, so collections run in the middle of the recursion.
(define (big-product n)
  (let loop ((i 0) (acc 1))
    (if (= i n) acc (loop (+ i 1) (make-product `(+ x ,i) acc)))))
(define (tree-size e) (if (pair? e) (+ 1 (tree-size (car e)) (tree-size (cdr e))) 1))
(define last-size
  (let loop ((k 0) (size 0))
    (if (= k 20) size (loop (+ k 1) (tree-size (deriv (big-product 60) 'x))))))
(show last-size)
(show (equal? (deriv (big-product 20) 'x) (deriv (big-product 20) 'x)))
