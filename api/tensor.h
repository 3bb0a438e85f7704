/* The tensor object behind the public seqrt_tensor handle. */
#ifndef SEQRT_TENSOR_H
#define SEQRT_TENSOR_H

#include "internal.h"

struct seqrt_tensor {
    seqrt_dtype dtype;
    int rank;
    int64_t dims[SEQRT_MAX_RANK];
    size_t count;
    void *data;
    bool owned;              /* data freed with the tensor */
};

#endif /* SEQRT_TENSOR_H */
