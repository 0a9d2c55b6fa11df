"""The TensorFlow ops a SavedModel may run without the user's trust, grouped by why each is safe.

The list comes from real exports (``scripts/build_op_allowlist.py`` exports MLPs, CNNs with
pooling, depthwise and separable convolutions, Conv1D/Conv3D, LSTM, GRU, SimpleRNN,
Bidirectional, attention and transformer blocks, Embedding, CategoryEncoding, BatchNorm,
LayerNorm, GroupNorm, adapted Normalization, Resizing, Rescaling, augmentation layers, integer
lookups, ``keras.ops`` math, MobileNetV2, EfficientNetB0, ResNet50 and ``tf.Module`` physics
functions with control flow), widened only by the same kind of op that a real model of the
same family uses (the other trigonometric functions, other pooling or resize kernels, the TF2.x
Keras forms of the same layers: fused batch norm, cuDNN RNN kernels, TensorArrays).

Every op here computes on tensors in memory. None reads or writes a file, opens a socket,
calls back into Python, talks to another process or device, or prints. That is the property
the groups share, and the reason given with each group says how its ops keep it.

Never on this list, whatever a model needs: dataset ops (``DatasetFromGraph`` above all),
file or network I/O, ``Save*``, ``Restore*``, ``Merge*``, tables filled from files, ``Print*``,
``Debug*``, ``DumpTensor``, candidate samplers, ``Py*``, collective and RPC ops,
``XlaCallModule`` (its StableHLO module is a second program the scan cannot read).
"""

from __future__ import annotations

#: Group name -> (why its ops are safe, the ops).
OP_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "plumbing": (
        "pass tensors through, fix or check their shape, or stop gradients; Assert and "
        "CheckNumerics only raise an error",
        frozenset({
            "Const", "Identity", "IdentityN", "NoOp", "StopGradient", "PreventGradient",
            "EnsureShape", "PlaceholderWithDefault", "CheckNumerics", "CheckNumericsV2",
            "Assert",
        }),
    ),
    "calls and control flow": (
        "call functions of the same library or branch and loop inside the graph; the scan "
        "follows their function attributes, so every callee is checked too",
        frozenset({
            "StatefulPartitionedCall", "PartitionedCall", "If", "StatelessIf", "While",
            "StatelessWhile", "Case", "StatelessCase",
        }),
    ),
    "the model's own variables": (
        "read or update the variables that the loader hands to the function as captured "
        "resources; memory only",
        frozenset({
            "ReadVariableOp", "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp",
            "VarIsInitializedOp", "ResourceGather", "ResourceGatherNd",
        }),
    ),
    "elementwise math": (
        "pure functions of their input tensors",
        frozenset({
            "Abs", "Acos", "Acosh", "Add", "AddN", "AddV2", "Asin", "Asinh", "Atan", "Atan2",
            "Atanh", "BiasAdd", "Ceil", "ClipByValue", "Cos", "Cosh", "Div", "DivNoNan", "Elu",
            "Erf", "Erfc", "Erfinv", "Exp", "Expm1", "Floor", "FloorDiv", "FloorMod", "Inv",
            "IsFinite", "IsInf", "IsNan", "LeakyRelu", "Lgamma", "Digamma", "Log", "Log1p",
            "LogSoftmax", "Maximum", "Minimum", "Mod", "Mul", "MulNoNan", "Ndtri", "Neg", "Pow",
            "RealDiv", "Reciprocal", "Relu", "Relu6", "Rint", "Round", "Rsqrt", "Selu",
            "Sigmoid", "Sign", "Sin", "Sinh", "Softmax", "Softplus", "Softsign", "Sqrt",
            "Square", "SquaredDifference", "Sub", "Tan", "Tanh", "TruncateDiv", "TruncateMod",
            "Xdivy", "Xlog1py", "Xlogy",
            "Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual",
            "LogicalAnd", "LogicalNot", "LogicalOr", "Select", "SelectV2",
            "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert", "LeftShift", "RightShift",
            "Cast", "Bitcast", "Complex", "ComplexAbs", "Conj", "Real", "Imag", "Angle",
            "ZerosLike", "OnesLike",
        }),
    ),
    "reductions, sorting and counting": (
        "pure functions of their input tensors",
        frozenset({
            "Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "ArgMax", "ArgMin",
            "EuclideanNorm", "Cumsum", "Cumprod", "CumulativeLogsumexp", "TopKV2",
            "DenseBincount", "Bucketize",
        }),
    ),
    "linear algebra and Fourier transforms": (
        "pure functions of their input tensors",
        frozenset({
            "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Einsum",
            "MatrixDeterminant", "LogMatrixDeterminant", "MatrixInverse", "MatrixSolve",
            "MatrixTriangularSolve", "Cholesky", "Qr", "Svd", "SelfAdjointEigV2",
            "MatrixBandPart", "MatrixDiagV3", "MatrixDiagPartV3", "MatrixSetDiagV3",
            "FFT", "IFFT", "RFFT", "IRFFT", "FFT2D", "IFFT2D", "RFFT2D", "IRFFT2D",
        }),
    ),
    "shapes and indexing": (
        "build, reshape, slice, gather or scatter tensors in memory",
        frozenset({
            "Shape", "ShapeN", "Size", "Rank", "Reshape", "ExpandDims", "Squeeze", "Transpose",
            "ConjugateTranspose", "InvertPermutation", "Concat", "ConcatV2", "Pack", "Unpack",
            "Split", "SplitV", "Slice", "StridedSlice", "Tile", "Pad", "PadV2", "MirrorPad",
            "Fill", "Range", "LinSpace", "ReverseV2", "Roll", "Gather", "GatherV2",
            "GatherNd", "ScatterNd", "TensorScatterUpdate", "TensorScatterAdd", "OneHot",
            "BroadcastTo", "BroadcastArgs", "BroadcastGradientArgs", "Where",
            "DepthToSpace", "SpaceToDepth", "BatchToSpaceND", "SpaceToBatchND",
        }),
    ),
    "neural-network kernels": (
        "convolution, pooling, normalization, resizing and recurrent kernels: pure functions "
        "of their input tensors",
        frozenset({
            "Conv2D", "Conv3D", "Conv2DBackpropInput", "Conv3DBackpropInputV2",
            "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput", "MaxPool",
            "MaxPoolV2", "MaxPool3D", "AvgPool", "AvgPool3D", "FusedBatchNorm",
            "FusedBatchNormV2", "FusedBatchNormV3", "LRN", "ResizeBilinear",
            "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea", "ScaleAndTranslate",
            "ImageProjectiveTransformV2", "ImageProjectiveTransformV3", "CudnnRNN",
            "CudnnRNNV2", "CudnnRNNV3",
        }),
    ),
    "tensor lists and arrays": (
        "the in-memory buffers that recurrent layers' while loops collect their steps in",
        frozenset({
            "TensorListFromTensor", "TensorListGetItem", "TensorListReserve",
            "TensorListSetItem", "TensorListStack", "TensorListLength",
            "TensorListElementShape", "TensorListPushBack", "TensorListPopBack",
            "TensorArrayV3", "TensorArrayReadV3", "TensorArrayWriteV3", "TensorArrayScatterV3",
            "TensorArrayGatherV3", "TensorArraySizeV3",
        }),
    ),
    "random numbers": (
        "numbers from a seed tensor or from the kernel's own generator state (augmentation and "
        "dropout layers); no I/O. Candidate samplers are not here",
        frozenset({
            "StatelessRandomGetKeyCounter", "StatelessRandomGetKeyCounterAlg",
            "StatelessRandomGetAlg", "StatelessRandomUniformV2", "StatelessRandomNormalV2",
            "StatelessTruncatedNormalV2", "StatelessRandomUniformIntV2",
            "StatelessRandomUniformFullIntV2", "StatelessRandomUniform",
            "StatelessRandomNormal", "StatelessTruncatedNormal", "StatelessRandomUniformInt",
            "RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal",
        }),
    ),
    "lookup tables filled from memory": (
        "hash tables built from constants of the graph (integer and string lookups) and string "
        "hashing; a table filled from a file (InitializeTableFromTextFile) is not here",
        frozenset({
            "HashTableV2", "MutableHashTableV2", "LookupTableFindV2", "LookupTableImportV2",
            "LookupTableSizeV2", "LookupTableExportV2", "LookupTableInsertV2",
            "InitializeTableV2", "StringToHashBucketFast", "StringToHashBucketStrong",
            "AsString",
        }),
    ),
}  # fmt: skip

#: Every op a SavedModel may run without trust.
ALLOWED_OPS: frozenset[str] = frozenset().union(*(ops for _, ops in OP_GROUPS.values()))
